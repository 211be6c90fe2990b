CREATE TABLE `sync_exclusions` (
	`connection_id` text NOT NULL,
	`user_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`connection_id`, `user_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `sync_run_issues` ADD `user_id` text;--> statement-breakpoint
ALTER TABLE `sync_runs` ADD `confirmed_user_ids` text DEFAULT '[]' NOT NULL;
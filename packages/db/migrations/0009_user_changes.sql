CREATE TABLE `user_changes` (
	`tenant_id` text NOT NULL,
	`user_id` text NOT NULL,
	`run_id` text NOT NULL,
	`kind` text NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `user_changes_user_idx` ON `user_changes` (`user_id`,`at`);
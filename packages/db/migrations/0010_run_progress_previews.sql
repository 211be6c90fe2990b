CREATE TABLE `sync_previews` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`connection_id` text NOT NULL,
	`requested_by` text,
	`status` text NOT NULL,
	`progress` text,
	`result` text,
	`error` text,
	`cancel_requested_at` integer,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sync_previews_connection_started_idx` ON `sync_previews` (`connection_id`,`started_at`);--> statement-breakpoint
ALTER TABLE `sync_runs` ADD `progress` text;--> statement-breakpoint
ALTER TABLE `sync_runs` ADD `cancel_requested_at` integer;--> statement-breakpoint
CREATE INDEX `sync_run_issues_run_code_idx` ON `sync_run_issues` (`run_id`,`kind`,`code`,`id`);
ALTER TABLE `connections` ADD `delta_cursor_ciphertext` text;--> statement-breakpoint
ALTER TABLE `connections` ADD `delta_cursor_issued_at` integer;--> statement-breakpoint
ALTER TABLE `sync_runs` ADD `mode` text DEFAULT 'full' NOT NULL;--> statement-breakpoint
ALTER TABLE `sync_runs` ADD `full_reason` text;
ALTER TABLE `outbox` ADD `lease_owner` text;--> statement-breakpoint
ALTER TABLE `outbox` ADD `lease_expires_at` integer;--> statement-breakpoint
ALTER TABLE `outbox` ADD `idempotency_key` text;--> statement-breakpoint
CREATE INDEX `outbox_run_idx` ON `outbox` (`run_id`,`status`);--> statement-breakpoint
CREATE INDEX `outbox_claim_idx` ON `outbox` (`status`,`idempotency_key`,`created_at`);
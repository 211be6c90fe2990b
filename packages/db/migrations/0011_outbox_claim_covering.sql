DROP INDEX `outbox_claim_idx`;--> statement-breakpoint
CREATE INDEX `outbox_claim_idx` ON `outbox` (`status`,`idempotency_key`,`created_at`,`id`,`lease_expires_at`,`next_attempt_at`);
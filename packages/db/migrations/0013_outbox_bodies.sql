CREATE TABLE `outbox_bodies` (
	`outbox_id` text PRIMARY KEY NOT NULL,
	`ciphertext` text NOT NULL,
	FOREIGN KEY (`outbox_id`) REFERENCES `outbox`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `outbox_bodies` (`outbox_id`, `ciphertext`) SELECT `id`, `body_ciphertext` FROM `outbox` WHERE `body_ciphertext` IS NOT NULL;
--> statement-breakpoint
ALTER TABLE `outbox` DROP COLUMN `body_ciphertext`;
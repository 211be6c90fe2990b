/**
 * How many users go in one transaction on a server URL. sqld ends a transaction that holds
 * the write lock for more than 5 s ("Transaction timed out", seen at 100k users in batches
 * sized for a file), yet each transaction has a fixed cost there (measured at 100k users:
 * 12 s in batches of 5,000, 8–9 s in batches of 20,000). So the size follows the pace of
 * the batches before it, aiming at TARGET_MS a batch: large on a fast server, smaller with
 * heavy rows (welcome emails) or a slow one.
 */
const TARGET_MS = 1_500;
const FIRST_USERS = 5_000;
const MIN_USERS = 500;
const MAX_USERS = 25_000;

export function remoteBatches() {
  let size = FIRST_USERS;
  return {
    get size() {
      return size;
    },
    /** A batch of `users` took `ms`: the next is sized by it (at most doubled). */
    took(users: number, ms: number): void {
      if (users < size / 2 || ms <= 0) return; // a short tail says little about the pace
      const paced = Math.round((TARGET_MS * users) / ms);
      size = Math.max(MIN_USERS, Math.min(MAX_USERS, 2 * size, paced));
    },
  };
}

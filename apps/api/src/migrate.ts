// `bun run db:migrate`: applies the committed migrations to DATABASE_URL and exits — the step
// before deploying the Workers entry, which never migrates (no request waits for it).
import { createDb, migrateDb } from "@roster/db";
import { readConfig } from "./config.ts";

const config = readConfig();
const db = await createDb({ url: config.DATABASE_URL, authToken: config.DATABASE_AUTH_TOKEN });
await migrateDb(db.db);
db.close();
console.log("migrations applied");

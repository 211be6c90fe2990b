import { exclusively } from "../connections/exclusive.ts";
import type { Ctx } from "../context.ts";
import { previewSync } from "./execute.ts";

/** `POST …/preview`: one preview per connection at a time (409 `preview_in_progress`). */
export const previewConnection = (ctx: Ctx, connectionId: string) =>
  exclusively(ctx, "preview", connectionId, () => previewSync(ctx, connectionId));

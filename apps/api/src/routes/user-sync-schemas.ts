import { z } from "@hono/zod-openapi";
import { Timestamp } from "../http/schemas.ts";

export const CountsSchema = z
  .object({
    created: z.number().int(),
    updated: z.number().int(),
    restored: z.number().int(),
    deleted: z.number().int(),
    skipped: z.number().int(),
    unchanged: z.number().int(),
    failed: z.number().int(),
  })
  .openapi("RunCounts");

const Outcome = z.enum([
  "running",
  "succeeded",
  "completed_with_errors",
  "needs_review",
  "failed",
  "cancelled",
]);

export const ProgressSchema = z
  .object({
    phase: z.enum(["starting", "reading", "writing", "deleting", "groups", "emails", "done"]),
    pagesRead: z.number().int(),
    usersRead: z.number().int(),
    counts: CountsSchema,
    at: z.number().int().meta({ description: "When it was written, ms since the epoch" }),
  })
  .openapi("RunProgress");

const progressFields = {
  progress: ProgressSchema.nullable().meta({
    description: "Written at most every second while it runs (page boundaries, phase changes)",
  }),
  cancelRequested: z.boolean(),
};

export const RunSchema = z
  .object({
    id: z.string(),
    connectionId: z.string(),
    trigger: z.enum(["manual", "automatic", "provision"]),
    triggeredBy: z.string().nullable(),
    outcome: Outcome,
    error: z.string().nullable(),
    deletionLimitLifted: z.boolean(),
    pendingDeletions: z.number().int(),
    startedAt: Timestamp,
    finishedAt: Timestamp.nullable(),
    counts: CountsSchema,
    mode: z.enum(["full", "incremental"]).openapi({
      description:
        "Whether the run read the whole directory or only what changed since the last clean run",
    }),
    fullReason: z.string().nullable().openapi({
      description:
        "Why a full run read everything: not_supported, requested, first_run, settings_changed, cursor_expired, reconciliation, directory_reset, cursor_invalid, scope_changed",
    }),
    ...progressFields,
  })
  .openapi("Run");

export const SyncRequestSchema = z
  .object({
    mode: z.enum(["full", "incremental"]).optional().openapi({
      description:
        "incremental (default): only the changes when the connector can; full: everything",
    }),
  })
  .strict()
  .openapi("SyncRequest");

export const RunDetailSchema = RunSchema.extend({
  emails: z
    .object({
      pending: z.number().int(),
      sent: z.number().int(),
      failed: z.number().int(),
    })
    .meta({
      description:
        "The run's welcome emails: waiting for the dispatcher, delivered, failed for good (each failure is also a `pin_email_failed` warning). Without Resend configured they stay pending in the local outbox.",
    }),
  totals: z
    .object({
      failures: z.number().int(),
      warnings: z.number().int(),
      pendingDeletions: z.number().int(),
    })
    .meta({ description: "Every issue the run recorded (none is dropped)" }),
  reasons: z
    .array(
      z.object({
        kind: z.enum(["failure", "warning", "pending_deletion"]),
        code: z.string(),
        count: z.number().int(),
        example: z.string(),
      }),
    )
    .meta({ description: "Issues grouped by kind and reason code, largest first" }),
  failures: z.array(
    z.object({
      externalId: z.string().nullable(),
      email: z.string().nullable(),
      displayName: z.string().nullable(),
      code: z.string(),
      reason: z.string(),
    }),
  ),
  warnings: z.array(
    z.object({
      externalId: z.string().nullable(),
      email: z.string().nullable(),
      code: z.string(),
      message: z.string(),
    }),
  ),
  held: z
    .array(
      z.object({
        userId: z.string().nullable(),
        externalId: z.string().nullable(),
        email: z.string().nullable(),
        displayName: z.string().nullable(),
        reason: z.string(),
      }),
    )
    .openapi({
      description:
        "Existing users the run would not link, convert or restore without an administrator's confirmation",
    }),
}).openapi("RunDetail");

export const ConnectionSchema = z
  .object({
    id: z.string(),
    type: z.string().meta({ example: "entra-id" }),
    name: z.string(),
    status: z.enum(["draft", "connected", "error"]),
    lastError: z
      .object({ code: z.string(), message: z.string(), details: z.unknown().optional() })
      .nullable(),
    settings: z.record(z.string(), z.unknown()),
    secretSet: z.boolean(),
    secretExpiresAt: Timestamp.nullable(),
    autoSync: z.object({
      enabled: z.boolean(),
      activatedAt: Timestamp.nullable(),
      nextRunAt: Timestamp.nullable(),
    }),
    lastRun: z
      .object({
        id: z.string(),
        trigger: z.enum(["manual", "automatic", "provision"]),
        outcome: Outcome,
        startedAt: Timestamp,
        finishedAt: Timestamp.nullable(),
        counts: CountsSchema,
        error: z.string().nullable(),
        pendingDeletions: z.number().int(),
        ...progressFields,
        emails: z
          .object({
            pending: z.number().int(),
            sent: z.number().int(),
            failed: z.number().int(),
          })
          .nullable()
          .meta({ description: "The run's welcome emails: waiting, delivered, failed for good" }),
      })
      .nullable(),
    signIn: z
      .object({
        redirectUri: z.string().meta({
          example: "https://roster.example.com/api/auth/sso/microsoft/callback",
          description: "Add to the directory's app registration (Entra: the Web platform)",
        }),
      })
      .nullable()
      .meta({ description: "Set when the connector signs its users in" }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi("Connection");

export const ConnectorSchema = z
  .object({
    type: z.string(),
    displayName: z.string(),
    status: z.enum(["available", "coming-soon"]),
    settingsSchema: z
      .record(z.string(), z.unknown())
      .meta({ description: "JSON Schema of the settings" }),
    secretLabel: z.string(),
  })
  .openapi("Connector");

const secretExpiresAt = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .nullable()
  .optional()
  .meta({ description: "When the secret expires (drives expiry warnings)" });

export const CreateConnectionSchema = z
  .object({
    type: z.string().min(1).max(50),
    name: z.string().trim().max(100).optional(),
    settings: z
      .record(z.string(), z.unknown())
      .meta({ description: "Validated against the connector's settingsSchema" }),
    secret: z.string().min(1).max(20_000).meta({ description: "Write-only; never returned" }),
    secretExpiresAt,
  })
  .openapi("CreateConnection");

export const UpdateConnectionSchema = z
  .object({
    name: z.string().trim().max(100).optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
    secret: z
      .string()
      .min(1)
      .max(20_000)
      .optional()
      .meta({ description: "Omit to keep the stored secret" }),
    secretExpiresAt,
  })
  .openapi("UpdateConnection");

const Sample = z.object({
  externalId: z.string().nullable(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  reason: z.string().optional(),
});

export const PreviewSchema = z
  .object({
    outcome: z.enum(["succeeded", "completed_with_errors", "needs_review", "failed"]),
    error: z.string().nullable(),
    counts: CountsSchema,
    held: z.number().int().openapi({
      description: "Existing users a run would hold for an administrator's confirmation",
    }),
    aliasesRemoved: z.number().int().openapi({
      description:
        "Of the updates, how many take aliases away from their user (a template change).",
    }),
    pendingDeletions: z.number().int(),
    samples: z.object({
      created: z.array(Sample),
      updated: z.array(Sample),
      restored: z.array(Sample),
      deleted: z.array(Sample),
      failed: z.array(Sample),
      aliasesRemoved: z.array(Sample),
      held: z.array(Sample),
    }),
  })
  .openapi("Preview");

const UserIds = z.array(z.string().min(1).max(64)).max(10_000);

export const ReviewDecisionSchema = z
  .object({
    deletions: z
      .boolean()
      .optional()
      .openapi({ description: "Lift the deletion limit once (default true)" }),
    confirmUsers: UserIds.optional().openapi({
      description: "Held users the directory may take over (default: every held user)",
    }),
    leaveAlone: UserIds.optional().openapi({
      description: "Held users this connection must never take over",
    }),
  })
  .strict()
  .openapi("ReviewDecision");
export const PreviewJobSchema = z
  .object({
    id: z.string(),
    connectionId: z.string(),
    status: z.enum(["running", "succeeded", "failed", "cancelled"]),
    progress: ProgressSchema.nullable(),
    result: PreviewSchema.nullable().meta({ description: "Set once the preview succeeded" }),
    error: z.string().nullable(),
    cancelRequested: z.boolean(),
    startedAt: Timestamp,
    finishedAt: Timestamp.nullable(),
  })
  .openapi("PreviewJob");

const IssueKind = z.enum(["failure", "warning", "pending_deletion"]);

export const IssueSchema = z
  .object({
    id: z.string(),
    kind: IssueKind,
    externalId: z.string().nullable(),
    email: z.string().nullable(),
    displayName: z.string().nullable(),
    code: z.string(),
    message: z.string(),
  })
  .openapi("RunIssue");

export const IssueFilterQuery = z.object({
  kind: IssueKind.optional(),
  code: z.string().max(64).optional(),
  query: z.string().max(200).optional().meta({
    description: "Searches name, email, directory id and message (case-insensitive)",
  }),
});

/** A stand-in for Resend's `POST /emails`, for tests that exercise real delivery. */
export type FakeResend = {
  url: string;
  received: Array<{
    from: string;
    to: string | string[];
    subject: string;
    text?: string;
    idempotencyKey: string | null;
  }>;
  /** Makes the next `count` requests fail with the given status. */
  failNext(count: number, status?: number): void;
  stop(): void;
};

export function startFakeResend(apiKey = "re_test_key"): FakeResend {
  const received: FakeResend["received"] = [];
  let failures = 0;
  let failStatus = 500;
  const server = Bun.serve({
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      if (request.method !== "POST" || url.pathname !== "/emails") {
        return Response.json(
          { name: "not_found", message: "Not found", statusCode: 404 },
          { status: 404 },
        );
      }
      if (request.headers.get("authorization") !== `Bearer ${apiKey}`) {
        return Response.json(
          { name: "validation_error", message: "API key is invalid", statusCode: 403 },
          { status: 403 },
        );
      }
      if (failures > 0) {
        failures -= 1;
        return Response.json(
          { name: "internal_server_error", message: "Unavailable", statusCode: failStatus },
          { status: failStatus },
        );
      }
      const body = (await request.json()) as FakeResend["received"][number];
      received.push({ ...body, idempotencyKey: request.headers.get("idempotency-key") });
      return Response.json({ id: crypto.randomUUID() });
    },
  });
  return {
    url: `http://localhost:${server.port}`,
    received,
    failNext(count, status = 500) {
      failures = count;
      failStatus = status;
    },
    stop: () => server.stop(true),
  };
}

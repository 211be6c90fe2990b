/**
 * Waits for the event loop to take its turn: pending requests and timers run before the
 * caller continues. The local libSQL driver and bulk JavaScript work are synchronous, so
 * long sync work calls this between slices to keep the API answering.
 */
export const letRequestsIn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Polls `pred` every 100 ms (errors count as "not yet") until it holds or `timeoutMs` passes. */
export async function until(pred: () => Promise<boolean> | boolean, timeoutMs = 20000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await pred()) return;
    } catch {
      /* retry */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

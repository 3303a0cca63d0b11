// SIGTERM and SIGINT stop a process once, within a bound: `stop` gets the grace period, five
// seconds to hand jobs back and a margin, and then the process exits whatever is still running.
export function stopOnSignal(stop: () => Promise<void>, onStopping: (signal: string) => void, onError: (err: Error) => void, graceMs = 20_000): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    onStopping(signal);
    // The grace period, five seconds to hand jobs back, and a margin: never hang for ever.
    const hardStop = setTimeout(() => process.exit(1), graceMs + 10_000);
    hardStop.unref();
    stop().then(
      () => process.exit(0),
      (err) => {
        onError(err as Error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

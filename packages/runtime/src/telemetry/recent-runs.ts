/** What is kept of a tagged run for later feedback: its predicted class, never its inputs. */
export interface RecentRun {
  predicted?: string;
  /** The schema's labels of the output that predicted it (shared, not copied). */
  labels?: readonly string[];
}

/** A bounded map of the most recent tagged runs; the oldest entry goes first when full. */
export class RecentRuns {
  private readonly runs = new Map<string, RecentRun>();
  constructor(private readonly max: number) {}

  add(id: string, run: RecentRun): void {
    this.runs.delete(id);
    this.runs.set(id, run);
    if (this.runs.size > this.max) this.runs.delete(this.runs.keys().next().value!);
  }

  /** Returns and forgets the run: feedback counts once per run. */
  take(id: string): RecentRun | undefined {
    const run = this.runs.get(id);
    this.runs.delete(id);
    return run;
  }

  get size(): number {
    return this.runs.size;
  }
}

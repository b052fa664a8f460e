/** Something that runs one SQL statement with `$n` parameters and returns its rows. */
export interface Sql {
  query<R = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    opts?: QueryOptions,
  ): Promise<R[]>;
}

/** How to run a statement. */
export interface QueryOptions {
  /**
   * Name under which PostgreSQL keeps the statement prepared on each connection, for a hot
   * statement whose text never changes (the same name must always carry the same text).
   * PGlite ignores it.
   */
  name?: string;
}

/**
 * The collector's one storage interface: a PostgreSQL-dialect SQL executor with transactions.
 * Both implementations (PGlite on a data directory, PostgreSQL over node-postgres) run the same
 * migrations and the same queries; everything above this interface is shared.
 */
export interface Storage extends Sql {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /** Cheap liveness probe of the database. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The filing cabinet of the examples: a real SQLite database (better-sqlite3) with a users table,
 * counting every query that reaches it.
 *
 * SQLite runs in-process and answers a primary-key lookup in microseconds; a database server
 * answers over the network in milliseconds. `latencyMs` adds that round trip (an await, so
 * concurrent requests overlap as they would against a server) to make the cost of a query visible.
 */
import Database from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';

export interface User {
  id: number;
  name: string;
  email: string;
  plan: string;
}

export interface UsersDbOptions {
  /** SQLite file (default ':memory:'). */
  path?: string;
  /** Users created when the table is empty (default 1000). */
  users?: number;
  /** Simulated network round trip per query, ms (default 2). */
  latencyMs?: number;
}

export class UsersDb {
  /** Queries that reached the database (reads and writes). */
  queries = 0;
  private readonly db: Database.Database;
  private readonly selectUser: Database.Statement<[number], User>;
  private readonly updateUser: Database.Statement<[string, string, number]>;
  private readonly latencyMs: number;

  constructor(options: UsersDbOptions = {}) {
    this.db = new Database(options.path ?? ':memory:');
    this.db.pragma('journal_mode = WAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, plan TEXT NOT NULL)');
    this.latencyMs = options.latencyMs ?? 2;
    const count = (this.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
    if (count === 0) this.seed(options.users ?? 1000);
    this.selectUser = this.db.prepare('SELECT id, name, email, plan FROM users WHERE id = ?');
    this.updateUser = this.db.prepare('UPDATE users SET name = ?, plan = ? WHERE id = ?');
  }

  private seed(n: number): void {
    const insert = this.db.prepare('INSERT INTO users (id, name, email, plan) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      for (let id = 1; id <= n; id++) insert.run(id, `user ${id}`, `user${id}@example.com`, id % 10 === 0 ? 'pro' : 'free');
    })();
  }

  /** SELECT by primary key; undefined when there is no such user. */
  async getUser(id: number): Promise<User | undefined> {
    this.queries++;
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    return this.selectUser.get(id);
  }

  async updateUserFields(id: number, fields: { name: string; plan: string }): Promise<void> {
    this.queries++;
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    this.updateUser.run(fields.name, fields.plan, id);
  }

  close(): void {
    this.db.close();
  }
}

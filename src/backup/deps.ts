/**
 * What the backup and restore actions run over: the blob store backups live in, where in it, the
 * configured sources (databases and directories) and the scratch targets drills restore into. Built once
 * by the worker from `backups` in the config; credentials stay secret references until the moment of use.
 */
import type { SecretResolver } from '../secrets/resolver.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { BackupLayout } from './manifest.js';

/** A PostgreSQL database backups are taken from: a libpq connection URL given as a secret reference. */
export interface PostgresSource {
  /** Secret reference (`env:NAME`, `file:PATH`) holding `postgres://user:pass@host:port/db`. */
  url: string;
}

/** A directory backups are taken from. */
export interface DirectorySource {
  /** Absolute path. */
  path: string;
}

/** Where drills restore to. Nothing here may point at production: drills create and drop databases. */
export interface RestoreTargets {
  /** Secret reference to an admin URL of a scratch PostgreSQL server (CREATE/DROP DATABASE rights). */
  postgresUrl?: string;
  /** Absolute path of the directory scratch file restores are made under. */
  directory: string;
  /**
   * Absolute path of the directory backup objects are downloaded to before a restore reads them (see
   * restore/staging.ts). Needs room for the largest backup restored; holds backup data (kept 0700).
   */
  staging: string;
}

/** A section of `backups` in the config (and of BackupDeps) that holds named sources. */
export type BackupSection = 'postgres' | 'directories';

/** The dependencies of every backup/restore action. */
export interface BackupDeps {
  store: BlobStore;
  /** Manifests may live in a store of their own (another bucket); defaults to `store`. */
  manifestStore?: BlobStore;
  layout: BackupLayout;
  postgres: Readonly<Record<string, PostgresSource>>;
  directories: Readonly<Record<string, DirectorySource>>;
  restore: RestoreTargets;
  secrets: SecretResolver;
  /** Directory of pg_dump and pg_restore (at least as new as the servers); looked up on PATH when absent. */
  postgresBinDir?: string;
  /** Segment length of the manifest's hash list; default 64 MiB (tests use less). */
  segmentBytes?: number;
  /** Injectable clock (tests). */
  now?: () => Date;
}

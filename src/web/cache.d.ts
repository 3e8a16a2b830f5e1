import type { CacheCore } from './flowscale';
/** When `set` reaches IndexedDB: see docs/cache.md, "Strategies". */
export type CacheStrategy = 'write-through' | 'write-behind' | 'cache-aside';
/** `WorkflowCache.open(options)`; every key is optional. */
export interface CacheOptions {
  /** Namespaces the IndexedDB database (`flowscale-cache:<name>`) and the cross-tab channel. Default 'default'. */
  name?: string;
  /** Default 1000. */
  memoryMaxEntries?: number;
  /** Estimated megabytes the memory tier may hold. Default 100. */
  memoryMaxMb?: number;
  /** Estimated megabytes the disk tier may hold; 0 turns it off. Default 100. */
  diskMaxMb?: number;
  /** Default 300. */
  defaultTtlSeconds?: number;
  /** Default 'write-through'. */
  strategy?: CacheStrategy;
  /** 'tinylfu': a new key enters a full memory tier only if asked for more often than the entry it would evict. Default 'lru'. */
  admission?: 'lru' | 'tinylfu';
  /** Write-behind: longest wait before a batch is written. Default 1000. */
  flushIntervalMs?: number;
  /** How often expired entries are swept from both tiers. Default 60. */
  sweepIntervalSeconds?: number;
  /** Keep other tabs' memory tiers coherent (BroadcastChannel). Default true. */
  broadcast?: boolean;
  /** Called with every storage fault (also dispatched as an `error` event). */
  onError?: (error: FlowscaleError) => void;
}
export interface CacheSetOptions {
  /** Default: the cache's defaultTtlSeconds. Infinity: never expires. */
  ttlSeconds?: number;
  tags?: string[];
  /** Skip the size estimate: the value's size in bytes, as you count it. */
  sizeBytes?: number;
}
export interface CacheMemoryStats {
  entries: number; bytes: number; maxEntries: number; maxBytes: number;
  hits: number; misses: number; evictions: number; expirations: number;
  /** New values TinyLFU kept out of memory. */
  rejections: number;
  hitRate: number;
}
export interface CacheDiskStats {
  /** 'ok', 'off' (diskMaxMb 0), 'blocked' (waiting on another tab), 'unavailable' (failed to open), 'closed'. */
  status: 'ok' | 'off' | 'blocked' | 'unavailable' | 'closed';
  entries: number; bytes: number; maxBytes: number;
  hits: number; misses: number; evictions: number; expirations: number;
  writes: number; failedWrites: number; corruptRecords: number; pendingWrites: number;
  /**
   * Cumulative bytes of the values committed to IndexedDB and of those disk reads returned, each value counted
   * at the size the disk limit uses (the estimate, or `sizeBytes`): the disk tier's I/O since the cache opened.
   */
  bytesWritten: number; bytesRead: number;
  lastError: FlowscaleError | null;
  /** `navigator.storage.estimate()` at the last refresh (open, flush, sweep). */
  estimate: { usage: number; quota: number } | null;
}
export interface CacheStats {
  /** Both tiers: a get answered from memory or disk is a hit. */
  hits: number; misses: number; hitRate: number;
  memory: CacheMemoryStats;
  disk: CacheDiskStats;
  strategy: CacheStrategy; admission: 'lru' | 'tinylfu'; name: string;
}
export interface CachedWorkflow<T = unknown> { workflowData: T; contentHash: string; cachedAt: number; }
export interface CacheErrorEvent extends Event { readonly error: FlowscaleError; }
/** The two-tier workflow cache: memory (LRU, TTL, tags) over IndexedDB. */
export declare class WorkflowCache extends EventTarget {
  private constructor();
  static open(options?: CacheOptions): Promise<WorkflowCache>;
  /** Memory tier only; never touches IndexedDB. */
  getSync<T = unknown>(key: string): T | undefined;
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, options?: CacheSetOptions): Promise<void>;
  getOrLoad<T>(key: string, loader: (key: string) => T | Promise<T>, options?: CacheSetOptions): Promise<T>;
  invalidate(key: string): Promise<void>;
  /** Resolves to the number of keys removed. */
  invalidateTag(tag: string): Promise<number>;
  /** Resolves to the number of keys removed. */
  invalidatePrefix(prefix: string): Promise<number>;
  clear(): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): CacheStats;
  /** Resolves to the workflow's content hash. */
  cacheWorkflow(id: string, entry: { workflowData: unknown; ttlSeconds?: number }): Promise<string>;
  getCachedWorkflow<T = unknown>(id: string, options?: { contentHash?: string }): Promise<CachedWorkflow<T> | null>;
  addEventListener(type: 'error', listener: (ev: CacheErrorEvent) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  readonly core: CacheCore;
}

/**
 * The product's {@link dev.reconciler.core.state.StateStore}: RocksDB through rocksdbjni. This is the only package
 * of the code base that imports {@code org.rocksdb}; everything else sees the {@code StateStore} interface, so the
 * engine is tested against the in-memory store and the same contract suite runs on both.
 *
 * <p>Layout ({@link ColumnFamilies}): one column family per kind of record ({@code pairs}, {@code timers},
 * {@code discrepancies}, {@code meta}, {@code journal}, and RocksDB's unused {@code default}), keys and values as
 * defined by {@link dev.reconciler.core.state.StateCodec}. The store records its format in {@code meta};
 * {@link StoreFormat} checks it at open, migrates an older store in place and refuses a newer one
 * ({@link dev.reconciler.core.state.FormatVersion} says what each format is). Native memory is bounded by one LRU
 * block cache shared by all column families, to which the memtables are charged as well ({@link RocksDbTuning}).
 *
 * <p>{@link RocksDbStateStore} opens, guards the lifecycle, reads and closes; {@link BatchWriter} encodes every
 * write batch (in RocksDB's serialized form, {@link BatchRep}); {@link RocksDbJournal} keeps the outcome journal's
 * sequence, reads and trims it; {@link PersistentNames} is the name table on disk; {@link RocksDbOpenFailure} turns
 * a refused open into a message with the way out.
 */
package dev.reconciler.core.state.rocksdb;

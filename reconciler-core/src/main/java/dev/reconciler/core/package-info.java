/**
 * The reconciliation engine. Packages follow the data path:
 * {@code fact} (normalized row images in) → {@code rule} (what pairs with what) → {@code match} (the engine)
 * → {@code state} (pair state, deadline index, discrepancies; RocksDB or in memory) → {@code discrepancy}
 * (what is wrong) → {@code outcome} (what the engine tells the metrics, alert and API layers).
 *
 * <p>Nothing here imports Debezium, HTTP or metrics code, and only {@code state.rocksdb} touches
 * {@code org.rocksdb}. See docs/architecture.md for the time model.
 */
package dev.reconciler.core;

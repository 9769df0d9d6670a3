/**
 * The application around the engine: sources (embedded Debezium) → normalize → engine → alerts, metrics, API.
 * Thin for now; see the open issues for sources, outputs and the CLI.
 */
package dev.reconciler.app;

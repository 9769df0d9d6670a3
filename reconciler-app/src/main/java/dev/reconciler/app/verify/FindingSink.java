package dev.reconciler.app.verify;

import dev.reconciler.app.pipeline.Pipeline;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.match.VerificationFinding;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Where a verification's findings go: the engine that owns the state store, which records them as discrepancies
 * (journaled for the alert sinks, counted in the open-discrepancy gauges). {@link #direct} calls an engine the
 * caller owns ({@code reconciler verify} on a stopped reconciler); {@link #through} runs each call on a running
 * reconciler's engine thread, so the findings are also counted by its metrics and wake its alert delivery.
 */
public interface FindingSink {

    ReconciliationEngine.VerificationResult record(List<VerificationFinding> findings);

    ReconciliationEngine.VerificationResult close(String rule, Instant from, Instant to, Set<String> found);

    static FindingSink direct(ReconciliationEngine engine) {
        return new FindingSink() {
            @Override
            public ReconciliationEngine.VerificationResult record(List<VerificationFinding> findings) {
                return engine.recordVerification(findings);
            }

            @Override
            public ReconciliationEngine.VerificationResult close(String rule, Instant from, Instant to, Set<String> found) {
                return engine.closeVerification(rule, from, to, found);
            }
        };
    }

    /** @param wait how long one call may wait for the engine thread (it works through the sources' backlog first) */
    static FindingSink through(Pipeline pipeline, Duration wait) {
        return new FindingSink() {
            @Override
            public ReconciliationEngine.VerificationResult record(List<VerificationFinding> findings) {
                return await(pipeline, e -> e.recordVerification(findings), wait);
            }

            @Override
            public ReconciliationEngine.VerificationResult close(String rule, Instant from, Instant to, Set<String> found) {
                return await(pipeline, e -> e.closeVerification(rule, from, to, found), wait);
            }
        };
    }

    private static ReconciliationEngine.VerificationResult await(
            Pipeline pipeline, java.util.function.Function<ReconciliationEngine, ReconciliationEngine.VerificationResult> call,
            Duration wait) {
        try {
            return pipeline.callReporting(call, ReconciliationEngine.VerificationResult::outcomes)
                    .get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the engine did not take the verification's findings within "
                    + wait.toSeconds() + " s (it is working through a backlog); run verify again later", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while recording the verification's findings", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            throw new IllegalStateException("recording the verification's findings failed: " + c, c);
        }
    }
}

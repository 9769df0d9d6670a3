package dev.reconciler.core.match;

import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.rule.Side;

import java.time.Instant;

/**
 * A rule side that stopped judging the rows of one table because they lack a column the rule reads (see
 * {@link dev.reconciler.core.outcome.Outcome.RulePaused}).
 *
 * @param position the log position of the first row seen without the column
 * @param since    the engine's clock when the pause began
 */
public record RulePause(String rule, Side side, String source, String table, String column, SourcePosition position,
                        Instant since) {
}

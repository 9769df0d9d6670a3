package dev.reconciler.core.rule;

/** The two sides of a rule: left is the flow that drives (orders), right the flow that must follow (inventory). */
public enum Side {
    LEFT,
    RIGHT;

    public Side other() {
        return this == LEFT ? RIGHT : LEFT;
    }

    public String label() {
        return this == LEFT ? "left" : "right";
    }
}

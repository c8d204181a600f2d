import { describe, expect, it } from "vitest";
import { usageText } from "./AccountMenu";

describe("the usage in the account menu", () => {
  it("shows tokens and cost when every model had a price", () => {
    expect(usageText({ tokens: 1200, cost_usd: 0.04, unpriced_tokens: 0 })).toMatch(
      /^1,200 tokens · \$0\.04$/,
    );
  });

  it("says the cost is unknown, never $0, for tokens of a model with no price", () => {
    const local = usageText({ tokens: 5000, cost_usd: 0, unpriced_tokens: 5000 });
    expect(local).toBe("5,000 tokens · cost unknown");
    expect(local).not.toContain("$");
    expect(usageText({ tokens: 5000, cost_usd: null, unpriced_tokens: 0 })).toBe(
      "5,000 tokens · cost unknown",
    );
  });

  it("gives the priced cost and counts the tokens whose cost is unknown", () => {
    expect(usageText({ tokens: 3000, cost_usd: 0.5, unpriced_tokens: 1000 })).toMatch(
      /^3,000 tokens · \$0\.50 \+ cost unknown for 1,000 tokens$/,
    );
    expect(usageText({ tokens: 3000, cost_usd: 0, unpriced_tokens: 1000 })).toBe(
      "3,000 tokens · cost unknown (1,000 tokens unpriced)",
    );
  });

  it("shows a tiny cost as under a cent rather than $0.00", () => {
    expect(usageText({ tokens: 10, cost_usd: 0.0004, unpriced_tokens: 0 })).toBe(
      "10 tokens · under $0.01",
    );
  });
});

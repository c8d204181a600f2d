import { beforeEach, describe, expect, it } from "vitest";
import { composed, dequeue, enqueue, readQueue } from "./offlineQueue";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("the offline queue", () => {
  beforeEach(() => localStorage.clear());

  it("gives a message its key once, when it is written", () => {
    const one = composed("Refund window?");
    const two = composed("Refund window?");
    expect(one.clientMessageId).toMatch(UUID);
    expect(one.id).toBe(`local-${one.clientMessageId}`);
    expect(two.clientMessageId).not.toBe(one.clientMessageId);
  });

  it("keeps the key with the message across reloads until it is sent", () => {
    const item = composed("Refund window?");
    enqueue("t1", item);
    // What a reload, a retry or another tab reads back: the same message with the same key.
    expect(readQueue("t1")).toEqual([item]);
    expect(readQueue("t1")).toEqual([item]);
    const later = composed("Who approves?");
    enqueue("t1", later);
    dequeue("t1", item.id);
    expect(readQueue("t1")).toEqual([later]);
    expect(readQueue("t2")).toEqual([]);
  });

  it("gives a message queued by an earlier version a key that stays the same", () => {
    localStorage.setItem("ba.queue.unknown.t1", JSON.stringify([{ id: "local-1", content: "Hi" }]));
    const [first] = readQueue("t1");
    expect(first).toMatchObject({ id: "local-1", content: "Hi" });
    expect(first.clientMessageId).toMatch(UUID);
    expect(readQueue("t1")).toEqual([first]);
  });

  it("reads a damaged queue as empty", () => {
    localStorage.setItem("ba.queue.unknown.t1", "{not json");
    expect(readQueue("t1")).toEqual([]);
  });
});

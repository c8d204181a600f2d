import { type FormEvent, type KeyboardEvent, useState } from "react";

type Props = {
  onSend: (content: string) => void;
  onStop?: () => void;
  writing: boolean;
  online: boolean;
};

/** The "Message" box: Enter sends, Shift+Enter starts a new line. */
export function Composer({ onSend, onStop, writing, online }: Props) {
  const [text, setText] = useState("");

  function submit(event?: FormEvent) {
    event?.preventDefault();
    const content = text.trim();
    if (!content) return;
    onSend(content);
    setText("");
  }

  function keyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  }

  return (
    <form className="composer" onSubmit={submit}>
      <textarea
        aria-label="Message"
        placeholder={
          online
            ? "Describe a feature idea or ask a question"
            : "Offline: your message will be queued"
        }
        rows={2}
        value={text}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={keyDown}
        maxLength={50000}
      />
      {writing && onStop ? (
        <button type="button" className="stop" onClick={onStop}>
          Stop
        </button>
      ) : null}
      <button type="submit" className="primary" disabled={!text.trim()}>
        Send
      </button>
    </form>
  );
}

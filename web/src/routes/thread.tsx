import { useParams } from "react-router";
import { ThreadPage } from "../features/chat/ThreadPage";

export function Component() {
  const { threadId = "" } = useParams();
  return <ThreadPage key={threadId} threadId={threadId} />;
}

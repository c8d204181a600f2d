import { createBrowserRouter, Navigate } from "react-router";
import { SignInPage } from "../features/auth/SignInPage";
import { Layout } from "./Layout";
import { RouteError } from "./RouteError";

/** The screens that show markdown fetch its renderer beside their own code, not after it. */
function withMarkdown<T>(route: Promise<T>): Promise<T> {
  void import("../ui/Markdown");
  return route;
}

/** Thin routes: each screen lives in its feature folder; heavy ones load on demand. */
export const router = createBrowserRouter([
  { path: "/sign-in", element: <SignInPage /> },
  {
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      { index: true, element: <Navigate to="/projects" replace /> },
      { path: "projects", lazy: () => import("./projects") },
      { path: "projects/:projectId", lazy: () => import("./project") },
      { path: "threads/:threadId", lazy: () => withMarkdown(import("./thread")) },
      { path: "artifacts/:artifactId", lazy: () => withMarkdown(import("./artifact")) },
      { path: "*", element: <RouteError /> },
    ],
  },
]);

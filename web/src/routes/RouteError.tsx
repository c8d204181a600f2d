import { Link, useRouteError } from "react-router";
import { errorMessage } from "../api/errors";

/** The fallback instead of a blank screen, with a way on. */
export function RouteError() {
  const error = useRouteError();
  return (
    <main id="main" className="page notice">
      <h1>{error ? "Something went wrong" : "Page not found"}</h1>
      <p>{error ? errorMessage(error) : "There is nothing at this address."}</p>
      <p>
        <button type="button" onClick={() => window.location.reload()}>
          Reload
        </button>{" "}
        <Link to="/projects">Go to projects</Link>
      </p>
    </main>
  );
}

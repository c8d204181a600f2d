import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { Link, Navigate, NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { whenSignedOut } from "../api/authFetch";
import { AccountMenu } from "../features/auth/AccountMenu";
import { useSession } from "../features/auth/useSession";
import { projectsQuery } from "../features/projects/queries";
import { OfflineBanner } from "../ui/OfflineBanner";

function SideNav() {
  const projects = useQuery(projectsQuery());
  return (
    <nav className="side-nav" aria-label="Projects">
      <NavLink to="/projects" end>
        All projects
      </NavLink>
      <ul>
        {projects.data?.projects.slice(0, 12).map((project) => (
          <li key={project.id}>
            <NavLink to={`/projects/${project.id}`}>{project.name}</NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** The signed-in frame: header, side navigation on wide screens, offline banner. */
export function Layout() {
  const { state, retry } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const here = location.pathname + location.search;

  useEffect(() => {
    whenSignedOut(() => navigate(`/sign-in?next=${encodeURIComponent(here)}`, { replace: true }));
  }, [navigate, here]);

  if (state === "signed-out") {
    return <Navigate to={`/sign-in?next=${encodeURIComponent(here)}`} replace />;
  }
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <Link to="/projects" className="brand">
          <img src="/icons/icon.svg" alt="" width="28" height="28" />
          <span>BA Assistant</span>
        </Link>
        {state === "signed-in" ? <AccountMenu /> : null}
      </header>
      <OfflineBanner />
      <div className="frame">
        {state === "signed-in" ? <SideNav /> : null}
        {state === "signed-in" ? (
          <Outlet />
        ) : (
          <main id="main" className="page">
            {state === "checking" ? (
              <p aria-live="polite">Loading…</p>
            ) : (
              <div className="notice">
                <h1>Can't reach BA Assistant</h1>
                <p>Your work is safe. This page reconnects by itself when you are back online.</p>
                <button type="button" onClick={retry}>
                  Try again
                </button>
              </div>
            )}
          </main>
        )}
      </div>
    </div>
  );
}

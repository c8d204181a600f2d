import { ProjectsPage } from "../features/projects/ProjectsPage";

export const Component = ProjectsPage;

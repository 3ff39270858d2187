import { Navigate, Route, Routes } from 'react-router';
import { AuditPage } from './AuditPage.tsx';
import { CampaignsPage } from './CampaignsPage.tsx';
import { DncPage } from './DncPage.tsx';
import { ImportWizard } from './ImportWizard.tsx';
import { ProjectDetail } from './ProjectDetail.tsx';
import { ProjectsPage } from './ProjectsPage.tsx';
import { UsersPage } from './UsersPage.tsx';
import { WebhooksPage } from './WebhooksPage.tsx';

/** The admin console (its own chunk, loaded only by those who open it). */
export default function Admin() {
  return (
    <Routes>
      <Route path="projects" element={<ProjectsPage />} />
      <Route path="projects/:code" element={<ProjectDetail />} />
      <Route path="projects/:code/import" element={<ImportWizard />} />
      <Route path="campaigns" element={<CampaignsPage />} />
      <Route path="dnc" element={<DncPage />} />
      <Route path="users" element={<UsersPage />} />
      <Route path="webhooks" element={<WebhooksPage />} />
      <Route path="audit" element={<AuditPage />} />
      <Route path="*" element={<Navigate to="projects" replace />} />
    </Routes>
  );
}

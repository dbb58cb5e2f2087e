// Uploaded sites: unpacking the management API's tarballs into deployments, and which one each app serves.

export { SiteDeployments } from './site-deployments.js';
export type { SiteDeployment, SiteLimits } from './site-deployments.js';

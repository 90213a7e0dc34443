/**
 * Bootstrap: makes sure the release team, the deployment team and the `admin` user exist, so a
 * fresh table can be administered at all. Idempotent; the local cloud calls it at start, and a
 * CDK custom resource may call it after deployment.
 */
import { ensureBootstrap, type TeamPorts } from '#domain/team-service';

/** Creates what is missing of the bootstrap teams and admin user; returns the ids it created. */
export function bootstrap(ports: TeamPorts): Promise<{ created: string[] }> {
  return ensureBootstrap(ports);
}

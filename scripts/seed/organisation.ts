/**
 * The demo organisation `npm run seed` loads (scripts/seed.ts): data only, no I/O. Every entity
 * is keyed by a natural key the API lets a client look up — a user's id, a team's, CI's, SLA's,
 * article's, RFC's and release's name or title — so that a second run finds what the first made.
 *
 * Which CIs releases deploy to and which the SLAs' blackouts cover is chosen with care: the
 * `noOpenBlackout` gate refuses to enter Deployment while a blackout is in force on a touched CI or
 * one depending on it, and the seed must work whatever the hour it runs. So the blackouts cover
 * payroll and trading (Berlin and New York), and only releases meant to show a conflict (or an
 * emergency override) touch what those depend on.
 */

export type Process = 'change' | 'release' | 'deployment';

export interface DemoUser {
  readonly id: string;
  readonly displayName: string;
  readonly processes: readonly Process[];
  /** What the user does, printed beside their token. */
  readonly role: string;
}

export const users: readonly DemoUser[] = [
  {
    id: 'rita',
    displayName: 'Rita Release',
    processes: ['release'],
    role: 'release manager, Core Platforms',
  },
  {
    id: 'raj',
    displayName: 'Raj Rollout',
    processes: ['release'],
    role: 'release manager, Digital Channels',
  },
  {
    id: 'carl',
    displayName: 'Carl Change',
    processes: ['change'],
    role: 'change manager (requests the RFCs)',
  },
  { id: 'dora', displayName: 'Dora Decides', processes: ['change'], role: 'CAB and emergency CAB member' },
  { id: 'felix', displayName: 'Felix Vote', processes: ['change'], role: 'CAB and emergency CAB member' },
  { id: 'grace', displayName: 'Grace Board', processes: ['change'], role: 'CAB member' },
  {
    id: 'tom',
    displayName: 'Tom Tech',
    processes: ['deployment'],
    role: 'technician, Infrastructure Operations',
  },
  {
    id: 'tina',
    displayName: 'Tina Tech',
    processes: ['deployment'],
    role: 'technician, Infrastructure Operations',
  },
  {
    id: 'nina',
    displayName: 'Nina Node',
    processes: ['deployment'],
    role: 'technician, Application Operations',
  },
  {
    id: 'omar',
    displayName: 'Omar Ops',
    processes: ['deployment'],
    role: 'technician, Application Operations',
  },
];

export type TeamKey = 'core' | 'digital' | 'infra' | 'apps' | 'cab' | 'ecab';

export interface DemoTeam {
  readonly key: TeamKey;
  readonly name: string;
  readonly kind: 'release' | 'deployment' | 'cab';
  readonly description: string;
  readonly workGroups: readonly { id: string; name: string }[];
  readonly members: readonly string[];
  readonly approvalsRequired?: { low?: number; medium?: number; high?: number; emergency?: number };
  readonly blackoutOverriders?: readonly string[];
}

export const teams: readonly DemoTeam[] = [
  {
    key: 'core',
    name: 'Core Platforms Releases',
    kind: 'release',
    description: 'Payroll, trading, HR, identity and the data warehouse.',
    workGroups: [{ id: 'wg_demo_core_planning', name: 'Core release planning' }],
    members: ['rita'],
    blackoutOverriders: ['rita'],
  },
  {
    key: 'digital',
    name: 'Digital Channels Releases',
    kind: 'release',
    description: 'Web shop, CRM and the mobile app.',
    workGroups: [{ id: 'wg_demo_digital_planning', name: 'Digital release planning' }],
    members: ['raj'],
  },
  {
    key: 'infra',
    name: 'Infrastructure Operations',
    kind: 'deployment',
    description: 'Servers, databases and the network.',
    workGroups: [
      { id: 'wg_demo_linux', name: 'Linux servers' },
      { id: 'wg_demo_dba', name: 'Database administration' },
    ],
    members: ['tom', 'tina'],
  },
  {
    key: 'apps',
    name: 'Application Operations',
    kind: 'deployment',
    description: 'Deploys and runs the business applications.',
    workGroups: [
      { id: 'wg_demo_web', name: 'Web applications' },
      { id: 'wg_demo_enterprise', name: 'Enterprise applications' },
    ],
    members: ['nina', 'omar'],
  },
  {
    key: 'cab',
    name: 'Change Advisory Board',
    kind: 'cab',
    description: 'Weekly CAB: votes on normal RFCs.',
    workGroups: [{ id: 'wg_demo_cab', name: 'CAB' }],
    members: ['dora', 'felix', 'grace'],
    approvalsRequired: { low: 1, medium: 2, high: 3, emergency: 1 },
  },
  {
    key: 'ecab',
    name: 'Emergency CAB',
    kind: 'cab',
    description: 'Convened at short notice for emergency RFCs.',
    workGroups: [{ id: 'wg_demo_ecab', name: 'Emergency CAB' }],
    members: ['dora', 'felix'],
    approvalsRequired: { emergency: 1 },
  },
];

type RelationType = 'depends-on' | 'runs-on' | 'part-of' | 'connects-to';

export interface DemoCi {
  readonly name: string;
  readonly type: string;
  readonly attributes: Record<string, string | number | boolean | string[]>;
  /** Relations to CIs listed before this one, by name. */
  readonly relations?: readonly [RelationType, string][];
}

const server = (name: string, site: string, os = 'RHEL 9.4', cpus = 8): DemoCi => ({
  name,
  type: 'server',
  attributes: { os, cpus, environment: 'production' },
  relations: [['part-of', site]],
});

/** 64 CIs: shared infrastructure, then one group per business service. */
export const cis: readonly DemoCi[] = [
  // Shared infrastructure
  { name: 'dc-frankfurt', type: 'site', attributes: { location: 'Frankfurt', tier: 'III' } },
  { name: 'dc-newyork', type: 'site', attributes: { location: 'New York', tier: 'III' } },
  {
    name: 'core-switch-fra',
    type: 'network-device',
    attributes: { model: 'Nexus 9300' },
    relations: [['part-of', 'dc-frankfurt']],
  },
  {
    name: 'core-switch-nyc',
    type: 'network-device',
    attributes: { model: 'Nexus 9300' },
    relations: [['part-of', 'dc-newyork']],
  },
  {
    name: 'fw-edge-fra',
    type: 'firewall',
    attributes: { model: 'PA-3220' },
    relations: [['connects-to', 'core-switch-fra']],
  },
  {
    name: 'lb-public-fra',
    type: 'load-balancer',
    attributes: { vip: '203.0.113.10' },
    relations: [['connects-to', 'fw-edge-fra']],
  },
  {
    name: 'lb-internal-fra',
    type: 'load-balancer',
    attributes: { vip: '10.20.0.10' },
    relations: [['connects-to', 'core-switch-fra']],
  },
  {
    name: 'k8s-prod-fra',
    type: 'cluster',
    attributes: { version: '1.30.4', nodes: 3 },
    relations: [['part-of', 'dc-frankfurt']],
  },
  {
    name: 'k8s-node-fra-01',
    type: 'server',
    attributes: { os: 'Bottlerocket', cpus: 16 },
    relations: [['part-of', 'k8s-prod-fra']],
  },
  {
    name: 'k8s-node-fra-02',
    type: 'server',
    attributes: { os: 'Bottlerocket', cpus: 16 },
    relations: [['part-of', 'k8s-prod-fra']],
  },
  {
    name: 'k8s-node-fra-03',
    type: 'server',
    attributes: { os: 'Bottlerocket', cpus: 16 },
    relations: [['part-of', 'k8s-prod-fra']],
  },
  {
    name: 'ldap-directory',
    type: 'application',
    attributes: { product: 'OpenLDAP', version: '2.6.8' },
    relations: [['runs-on', 'k8s-prod-fra']],
  },
  {
    name: 'vault-secrets',
    type: 'application',
    attributes: { product: 'Vault', version: '1.17.2' },
    relations: [['runs-on', 'k8s-prod-fra']],
  },
  {
    name: 'smtp-relay',
    type: 'application',
    attributes: { product: 'Postfix', version: '3.9.0' },
    relations: [['runs-on', 'k8s-prod-fra']],
  },
  {
    name: 'log-platform',
    type: 'application',
    attributes: { product: 'OpenSearch', version: '2.15.0' },
    relations: [['runs-on', 'k8s-prod-fra']],
  },
  {
    name: 'monitoring',
    type: 'application',
    attributes: { product: 'Prometheus', version: '2.53.1' },
    relations: [['runs-on', 'k8s-prod-fra']],
  },
  // Payroll (Frankfurt; month-end blackouts in Europe/Berlin)
  server('pay-app-01', 'dc-frankfurt'),
  server('pay-app-02', 'dc-frankfurt'),
  server('pay-db-01', 'dc-frankfurt'),
  {
    name: 'payroll-db',
    type: 'database',
    attributes: { engine: 'PostgreSQL', version: '15.6' },
    relations: [['runs-on', 'pay-db-01']],
  },
  {
    name: 'payroll-app',
    type: 'application',
    attributes: { version: '4.1.0', owner: 'payroll-team' },
    relations: [
      ['runs-on', 'pay-app-01'],
      ['runs-on', 'pay-app-02'],
      ['depends-on', 'payroll-db'],
      ['depends-on', 'ldap-directory'],
    ],
  },
  {
    name: 'payroll-batch',
    type: 'application',
    attributes: { version: '4.1.0' },
    relations: [
      ['runs-on', 'pay-app-02'],
      ['depends-on', 'payroll-db'],
    ],
  },
  {
    name: 'payslip-portal',
    type: 'application',
    attributes: { version: '2.3.1' },
    relations: [
      ['runs-on', 'k8s-prod-fra'],
      ['depends-on', 'payroll-app'],
    ],
  },
  {
    name: 'payroll',
    type: 'service',
    attributes: { criticality: 'high', owner: 'HR finance' },
    relations: [
      ['depends-on', 'payroll-app'],
      ['depends-on', 'payroll-batch'],
      ['depends-on', 'payslip-portal'],
    ],
  },
  // Trading (New York; market-hours blackouts in America/New_York)
  server('nyc-trd-01', 'dc-newyork', 'RHEL 9.4', 32),
  server('nyc-trd-02', 'dc-newyork', 'RHEL 9.4', 32),
  server('trade-db-01', 'dc-newyork', 'Oracle Linux 8', 64),
  {
    name: 'trade-db',
    type: 'database',
    attributes: { engine: 'Oracle', version: '19.23' },
    relations: [['runs-on', 'trade-db-01']],
  },
  {
    name: 'market-data-feed',
    type: 'application',
    attributes: { vendor: 'Refinitiv', version: '3.2.0' },
    relations: [['runs-on', 'nyc-trd-01']],
  },
  {
    name: 'pricing-engine',
    type: 'application',
    attributes: { version: '7.0.3' },
    relations: [
      ['runs-on', 'nyc-trd-01'],
      ['depends-on', 'market-data-feed'],
    ],
  },
  {
    name: 'order-gateway',
    type: 'application',
    attributes: { version: '12.4.1', protocol: 'FIX 4.4' },
    relations: [
      ['runs-on', 'nyc-trd-02'],
      ['depends-on', 'pricing-engine'],
      ['depends-on', 'trade-db'],
    ],
  },
  {
    name: 'risk-monitor',
    type: 'application',
    attributes: { version: '5.5.0' },
    relations: [
      ['runs-on', 'nyc-trd-02'],
      ['depends-on', 'trade-db'],
    ],
  },
  {
    name: 'trading',
    type: 'service',
    attributes: { criticality: 'critical', owner: 'Markets' },
    relations: [
      ['depends-on', 'order-gateway'],
      ['depends-on', 'risk-monitor'],
    ],
  },
  // Web shop
  server('shop-db-01', 'dc-frankfurt'),
  {
    name: 'webshop-db',
    type: 'database',
    attributes: { engine: 'PostgreSQL', version: '16.2', schemaVersion: 212 },
    relations: [['runs-on', 'shop-db-01']],
  },
  {
    name: 'redis-shop',
    type: 'cache',
    attributes: { version: '7.2.5' },
    relations: [['runs-on', 'k8s-prod-fra']],
  },
  {
    name: 'catalog-service',
    type: 'application',
    attributes: { version: '2.8.0' },
    relations: [
      ['runs-on', 'k8s-prod-fra'],
      ['depends-on', 'webshop-db'],
    ],
  },
  {
    name: 'cart-service',
    type: 'application',
    attributes: { version: '1.14.2' },
    relations: [
      ['runs-on', 'k8s-prod-fra'],
      ['depends-on', 'redis-shop'],
    ],
  },
  {
    name: 'search-service',
    type: 'application',
    attributes: { version: '1.1.0', engine: 'OpenSearch' },
    relations: [
      ['runs-on', 'k8s-prod-fra'],
      ['depends-on', 'catalog-service'],
    ],
  },
  {
    name: 'checkout-service',
    type: 'application',
    attributes: { version: '3.3.0' },
    relations: [
      ['runs-on', 'k8s-prod-fra'],
      ['depends-on', 'cart-service'],
      ['depends-on', 'webshop-db'],
    ],
  },
  {
    name: 'webshop-frontend',
    type: 'application',
    attributes: { version: '3.3.0', framework: 'Next.js' },
    relations: [
      ['depends-on', 'catalog-service'],
      ['depends-on', 'checkout-service'],
      ['depends-on', 'search-service'],
      ['connects-to', 'lb-public-fra'],
    ],
  },
  {
    name: 'cdn-edge',
    type: 'network-service',
    attributes: { provider: 'CloudFront' },
    relations: [['connects-to', 'webshop-frontend']],
  },
  {
    name: 'webshop',
    type: 'service',
    attributes: { criticality: 'high', owner: 'E-commerce' },
    relations: [
      ['depends-on', 'webshop-frontend'],
      ['depends-on', 'cdn-edge'],
    ],
  },
  // CRM
  server('crm-db-01', 'dc-frankfurt'),
  {
    name: 'crm-db',
    type: 'database',
    attributes: { engine: 'SQL Server', version: '2022' },
    relations: [['runs-on', 'crm-db-01']],
  },
  {
    name: 'crm-app',
    type: 'application',
    attributes: { version: '2.0.4' },
    relations: [
      ['runs-on', 'k8s-prod-fra'],
      ['depends-on', 'crm-db'],
    ],
  },
  {
    name: 'crm-connector',
    type: 'integration',
    attributes: { version: '2.9.0' },
    relations: [
      ['depends-on', 'crm-app'],
      ['connects-to', 'smtp-relay'],
    ],
  },
  {
    name: 'crm',
    type: 'service',
    attributes: { criticality: 'medium', owner: 'Sales' },
    relations: [
      ['depends-on', 'crm-app'],
      ['depends-on', 'crm-connector'],
    ],
  },
  // HR
  server('hr-db-01', 'dc-frankfurt'),
  {
    name: 'hr-db',
    type: 'database',
    attributes: { engine: 'PostgreSQL', version: '15.6', schemaVersion: 56 },
    relations: [['runs-on', 'hr-db-01']],
  },
  {
    name: 'hr-portal',
    type: 'application',
    attributes: { version: '1.7.2' },
    relations: [
      ['runs-on', 'k8s-prod-fra'],
      ['depends-on', 'hr-db'],
    ],
  },
  {
    name: 'hr',
    type: 'service',
    attributes: { criticality: 'medium', owner: 'People team' },
    relations: [['depends-on', 'hr-portal']],
  },
  // Data warehouse
  server('dwh-db-01', 'dc-frankfurt', 'RHEL 9.4', 48),
  {
    name: 'dwh-db',
    type: 'database',
    attributes: { engine: 'ClickHouse', version: '24.3' },
    relations: [['runs-on', 'dwh-db-01']],
  },
  {
    name: 'etl-jobs',
    type: 'application',
    attributes: { version: '4.6.0', scheduler: 'Airflow' },
    relations: [
      ['depends-on', 'dwh-db'],
      ['connects-to', 'payroll-db'],
      ['connects-to', 'trade-db'],
    ],
  },
  {
    name: 'reporting-bi',
    type: 'application',
    attributes: { version: '2024.2' },
    relations: [['depends-on', 'dwh-db']],
  },
  {
    name: 'data-warehouse',
    type: 'service',
    attributes: { criticality: 'medium', owner: 'Data office' },
    relations: [
      ['depends-on', 'etl-jobs'],
      ['depends-on', 'reporting-bi'],
    ],
  },
  // Mobile
  {
    name: 'mobile-bff',
    type: 'application',
    attributes: { version: '1.9.0' },
    relations: [
      ['runs-on', 'k8s-prod-fra'],
      ['depends-on', 'catalog-service'],
      ['depends-on', 'checkout-service'],
    ],
  },
  {
    name: 'push-notifications',
    type: 'application',
    attributes: { provider: 'FCM/APNs', version: '1.3.0' },
    relations: [['runs-on', 'k8s-prod-fra']],
  },
  {
    name: 'mobile-app',
    type: 'application',
    attributes: { version: '5.2.0', platforms: ['ios', 'android'] },
    relations: [
      ['depends-on', 'mobile-bff'],
      ['depends-on', 'push-notifications'],
    ],
  },
  {
    name: 'mobile',
    type: 'service',
    attributes: { criticality: 'medium', owner: 'E-commerce' },
    relations: [['depends-on', 'mobile-app']],
  },
  // Identity
  {
    name: 'sso-gateway',
    type: 'application',
    attributes: { product: 'Keycloak', version: '24.0.5' },
    relations: [
      ['runs-on', 'k8s-prod-fra'],
      ['depends-on', 'ldap-directory'],
      ['depends-on', 'vault-secrets'],
    ],
  },
  {
    name: 'identity',
    type: 'service',
    attributes: { criticality: 'high', owner: 'Security' },
    relations: [['depends-on', 'sso-gateway']],
  },
  // Legacy
  {
    name: 'fax-gateway',
    type: 'application',
    attributes: { version: '2.3', vendor: 'Legacy Corp' },
    relations: [['part-of', 'dc-frankfurt']],
  },
];

export interface DemoBlackout {
  readonly start: string;
  readonly end?: string;
  readonly rrule?: string;
  readonly duration?: string;
  readonly tz?: string;
  readonly reason: string;
}

export interface DemoSla {
  readonly name: string;
  readonly ciNames: readonly string[];
  readonly blackouts: (year: number) => readonly DemoBlackout[];
}

export const slas: readonly DemoSla[] = [
  {
    name: 'Payroll month-end close',
    ciNames: ['payroll', 'payslip-portal'],
    blackouts: () => [
      {
        rrule: 'FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=22',
        start: '2026-01-01T22:00',
        duration: 'PT6H',
        tz: 'Europe/Berlin',
        reason: 'Month-end payroll run',
      },
      {
        rrule: 'FREQ=MONTHLY;BYMONTHDAY=25;BYHOUR=18',
        start: '2026-01-25T18:00',
        duration: 'PT12H',
        tz: 'Europe/Berlin',
        reason: 'Salary payment file transfer to the bank',
      },
    ],
  },
  {
    name: 'Trading market hours',
    ciNames: ['trading'],
    blackouts: () => [
      {
        rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=30',
        start: '2026-01-05T09:30',
        duration: 'PT6H30M',
        tz: 'America/New_York',
        reason: 'NYSE regular trading session',
      },
    ],
  },
  {
    name: 'Year-end change freeze',
    ciNames: ['payroll', 'trading'],
    blackouts: (year) => [
      {
        start: `${year}-12-23T00:00:00+01:00`,
        end: `${year + 1}-01-02T00:00:00+01:00`,
        tz: 'Europe/Berlin',
        reason: 'Year-end closing: no changes to finance systems',
      },
    ],
  },
];

export type ArticleKind =
  | 'release-instructions'
  | 'build-instructions'
  | 'install-script'
  | 'backout-procedure'
  | 'known-error';

export interface DemoArticle {
  readonly kind: ArticleKind;
  readonly title: string;
  readonly body: string;
  readonly ciNames: readonly string[];
  readonly script?: { language: string; content: string };
}

/** Articles about CIs only; those about one release are declared with it (below). */
export const articles: readonly DemoArticle[] = [
  {
    kind: 'install-script',
    title: 'Install webshop services on Kubernetes',
    body: 'Rolls the web shop services out with Helm, one at a time, waiting for each rollout.',
    ciNames: ['catalog-service', 'checkout-service', 'search-service'],
    script: {
      language: 'bash',
      content:
        'set -euo pipefail\nfor svc in catalog-service checkout-service search-service; do\n  helm upgrade --install "$svc" charts/"$svc" -n shop --set image.tag="$VERSION"\n  kubectl -n shop rollout status deploy/"$svc" --timeout=5m\ndone\n',
    },
  },
  {
    kind: 'install-script',
    title: 'Apply HR database migrations',
    body: 'Runs the pending Flyway migrations against hr-db in one transaction each.',
    ciNames: ['hr-db'],
    script: { language: 'sql', content: 'BEGIN;\n\\i migrations/V57__leave_balances.sql\nCOMMIT;\n' },
  },
  {
    kind: 'install-script',
    title: 'Install payroll-app on the application servers',
    body: 'Drains each node from the internal load balancer, installs the package, and puts it back.',
    ciNames: ['payroll-app'],
    script: {
      language: 'powershell',
      content:
        'foreach ($node in "pay-app-01","pay-app-02") {\n  Disable-LbMember -Pool payroll -Member $node\n  Invoke-Command -ComputerName $node { msiexec /i payroll-$env:VERSION.msi /qn }\n  Enable-LbMember -Pool payroll -Member $node\n}\n',
    },
  },
  {
    kind: 'backout-procedure',
    title: 'Back out a payroll-app release',
    body: '1. Stop payroll-batch. 2. Reinstall the previous payroll-app package on both nodes. 3. Restore the pre-release payroll-db snapshot if the release migrated it. 4. Start payroll-batch and run the smoke payroll.',
    ciNames: ['payroll-app', 'payroll-db'],
  },
  {
    kind: 'backout-procedure',
    title: 'Roll back a webshop service',
    body: '1. `helm rollback <service> 0 -n shop`. 2. Purge the CDN. 3. Watch the checkout success rate for 15 minutes.',
    ciNames: ['checkout-service', 'webshop-frontend', 'search-service'],
  },
  {
    kind: 'build-instructions',
    title: 'Build the mobile BFF',
    body: '`npm ci && npm run build`, then `docker build -t mobile-bff:$VERSION .` and push to the registry.',
    ciNames: ['mobile-bff'],
  },
  {
    kind: 'release-instructions',
    title: 'Trading release checklist',
    body: 'Deploy outside market hours only (09:30-16:00 New York). Notify the desk heads 24 h ahead. Keep the FIX sessions drained during the change.',
    ciNames: ['order-gateway', 'pricing-engine'],
  },
  {
    kind: 'known-error',
    title: 'KE-0042: order-gateway drops FIX sessions after failover',
    body: 'Workaround: restart the FIX acceptor on nyc-trd-02 after a failover. Fixed in 12.4.2.',
    ciNames: ['order-gateway'],
  },
  {
    kind: 'known-error',
    title: 'KE-0051: search index stale after catalog import',
    body: 'Workaround: trigger a full reindex (`POST /admin/reindex`). A permanent fix is planned in search-service 1.2.',
    ciNames: ['search-service', 'catalog-service'],
  },
];

export type ChangeKey =
  | 'checkout'
  | 'crmConnector'
  | 'payrollTax'
  | 'pricing'
  | 'etl'
  | 'mobileBff'
  | 'hrPortal'
  | 'fax'
  | 'smtp'
  | 'patching'
  | 'tls'
  | 'hotfix';

export interface DemoChange {
  readonly key: ChangeKey;
  readonly title: string;
  readonly type: 'normal' | 'standard' | 'emergency';
  readonly risk: 'low' | 'medium' | 'high';
  readonly impact: 'low' | 'medium' | 'high';
  readonly urgency: 'low' | 'medium' | 'high';
  readonly ciNames: readonly string[];
  readonly cab: 'cab' | 'ecab';
  /** The state the seed leaves it in. */
  readonly target: string;
  /**
   * It stops one state short of `target` until the release it manages exists (a release's tasks
   * wait for their RFC to reach the trigger state after the release links it); that release's
   * story takes it on.
   */
  readonly awaitsRelease?: boolean;
  /** For Rejected / Cancelled: the state it leaves from, and why. */
  readonly exit?: { from: string; reason: string };
  /** CAB members who vote approve when it waits for votes. */
  readonly approvers: readonly string[];
  readonly windowDays?: [number, number];
}

export const changes: readonly DemoChange[] = [
  {
    key: 'checkout',
    title: 'Roll out the redesigned webshop checkout',
    type: 'normal',
    risk: 'medium',
    impact: 'high',
    urgency: 'medium',
    ciNames: ['checkout-service', 'webshop-frontend'],
    cab: 'cab',
    target: 'Closed',
    approvers: ['dora', 'felix'],
  },
  // Approved only once the release it manages links it (that release's tasks wait for it).
  {
    key: 'crmConnector',
    title: 'CRM connector 3.0 go-live',
    type: 'normal',
    risk: 'low',
    impact: 'medium',
    urgency: 'medium',
    ciNames: ['crm-connector'],
    cab: 'cab',
    target: 'Approved',
    awaitsRelease: true,
    approvers: ['grace'],
  },
  // Waits in Assessed with one of the three votes a high-risk RFC needs: felix and grace see it in their queue.
  {
    key: 'payrollTax',
    title: 'Payroll 2027 tax tables',
    type: 'normal',
    risk: 'high',
    impact: 'high',
    urgency: 'high',
    ciNames: ['payroll-app', 'payroll-db'],
    cab: 'cab',
    target: 'Assessed',
    approvers: ['dora'],
  },
  {
    key: 'pricing',
    title: 'Pricing engine 7.1 upgrade',
    type: 'normal',
    risk: 'medium',
    impact: 'high',
    urgency: 'low',
    ciNames: ['pricing-engine'],
    cab: 'cab',
    target: 'Recorded',
    approvers: [],
  },
  {
    key: 'etl',
    title: 'Data warehouse ETL v5',
    type: 'normal',
    risk: 'low',
    impact: 'medium',
    urgency: 'low',
    ciNames: ['etl-jobs', 'dwh-db'],
    cab: 'cab',
    target: 'Scheduled',
    approvers: ['grace'],
  },
  {
    key: 'mobileBff',
    title: 'Mobile BFF 2.0 launch',
    type: 'normal',
    risk: 'medium',
    impact: 'medium',
    urgency: 'medium',
    ciNames: ['mobile-bff'],
    cab: 'cab',
    target: 'Implementing',
    approvers: ['felix', 'grace'],
  },
  {
    key: 'hrPortal',
    title: 'HR portal 1.8 with leave balances',
    type: 'normal',
    risk: 'low',
    impact: 'medium',
    urgency: 'medium',
    ciNames: ['hr-portal', 'hr-db'],
    cab: 'cab',
    target: 'Reviewed',
    approvers: ['dora'],
  },
  {
    key: 'fax',
    title: 'Replace the fax gateway with e-fax',
    type: 'normal',
    risk: 'low',
    impact: 'low',
    urgency: 'low',
    ciNames: ['fax-gateway'],
    cab: 'cab',
    target: 'Rejected',
    exit: { from: 'Assessed', reason: 'No budget this year; revisit in Q3.' },
    approvers: [],
  },
  {
    key: 'smtp',
    title: 'Migrate the SMTP relay to the managed mail service',
    type: 'normal',
    risk: 'medium',
    impact: 'medium',
    urgency: 'low',
    ciNames: ['smtp-relay'],
    cab: 'cab',
    target: 'Cancelled',
    exit: { from: 'Recorded', reason: 'Superseded by the group-wide mail project.' },
    approvers: [],
  },
  {
    key: 'patching',
    title: 'Monthly OS patching of the Kubernetes nodes',
    type: 'standard',
    risk: 'low',
    impact: 'low',
    urgency: 'low',
    ciNames: ['k8s-node-fra-01', 'k8s-node-fra-02', 'k8s-node-fra-03'],
    cab: 'cab',
    target: 'Closed',
    approvers: [],
  },
  {
    key: 'tls',
    title: 'Renew the TLS certificate of lb-public-fra',
    type: 'standard',
    risk: 'low',
    impact: 'low',
    urgency: 'medium',
    ciNames: ['lb-public-fra'],
    cab: 'cab',
    target: 'Implementing',
    approvers: [],
  },
  {
    key: 'hotfix',
    title: 'Emergency: order-gateway 12.4.2 FIX session fix',
    type: 'emergency',
    risk: 'high',
    impact: 'high',
    urgency: 'high',
    ciNames: ['order-gateway'],
    cab: 'ecab',
    target: 'Implementing',
    approvers: ['dora'],
  },
];

export type TaskOutcome = 'planned' | 'ready' | 'in_progress' | 'done' | 'failed';

export interface DemoTask {
  readonly title: string;
  readonly workGroupId: string;
  /** Who takes it (a member of the work group's team); also the planned technician. */
  readonly technician: string;
  readonly ciNames: readonly string[];
  readonly set?: Record<string, Record<string, string | number>>;
  readonly outcome: TaskOutcome;
  readonly failure?: string;
}

/** When a release is planned, relative to the seed's first run (or to a blackout window). */
export type DemoWindow =
  | { readonly hoursFromNow: [number, number] }
  /** Inside the next blackout window of this SLA on this CI (to show a conflict, or an override). */
  | { readonly inBlackoutOf: string; readonly ci: string };

export interface DemoRelease {
  readonly title: string;
  readonly team: 'core' | 'digital';
  readonly manager: string;
  readonly releaseType: 'major' | 'minor' | 'emergency';
  readonly packageType: 'full' | 'delta' | 'package';
  readonly urgency: 'low' | 'medium' | 'high' | 'critical';
  readonly businessPriority: number;
  readonly workflowId?: string;
  readonly window: DemoWindow;
  readonly changes?: readonly ChangeKey[];
  /** Tasks become ready when this RFC reaches this state, not at the deploy stage. */
  readonly managedBy?: { change: ChangeKey; state: string };
  readonly tasks: readonly DemoTask[];
  /** The stage it is left in (Cancelled and Backed Out included). */
  readonly target: string;
  readonly cancel?: { from: string; reason: string };
  readonly backout?: { from: string; reason: string };
  readonly override?: string;
  readonly incidents?: readonly {
    reference: string;
    severity: 'critical' | 'high' | 'medium' | 'low';
    summary: string;
  }[];
  /** Articles about this release (linked to it). */
  readonly articles?: readonly DemoArticle[];
}

/** The default release workflow's main line (workflows/defaults/release-default.ts). */
export const RELEASE_PATH = [
  'Assessment',
  'Development',
  'Testing',
  'Deployment',
  'Audit',
  'CMDB Update',
  'Closure',
];

export const releases: readonly DemoRelease[] = [
  {
    title: 'Webshop 3.4: redesigned checkout',
    team: 'digital',
    manager: 'raj',
    releaseType: 'minor',
    packageType: 'delta',
    urgency: 'medium',
    businessPriority: 2,
    window: { hoursFromNow: [-1, 4] },
    changes: ['checkout'],
    tasks: [
      {
        title: 'Deploy checkout-service 3.4.0',
        workGroupId: 'wg_demo_web',
        technician: 'nina',
        ciNames: ['checkout-service'],
        set: { 'checkout-service': { version: '3.4.0' } },
        outcome: 'done',
      },
      {
        title: 'Deploy webshop-frontend 3.4.0',
        workGroupId: 'wg_demo_web',
        technician: 'omar',
        ciNames: ['webshop-frontend'],
        set: { 'webshop-frontend': { version: '3.4.0' } },
        outcome: 'done',
      },
    ],
    target: 'Closure',
    incidents: [
      { reference: 'INC0010231', severity: 'low', summary: 'Checkout button misaligned on Safari 17' },
    ],
    articles: [
      {
        kind: 'release-instructions',
        title: 'Webshop 3.4 release notes and go-live steps',
        body: 'Feature flag `new-checkout` on for 10 %, then 100 % after one hour without errors.',
        ciNames: ['checkout-service'],
      },
    ],
  },
  {
    title: 'CRM 2.1: GDPR data export',
    team: 'digital',
    manager: 'raj',
    releaseType: 'minor',
    packageType: 'package',
    urgency: 'low',
    businessPriority: 3,
    window: { hoursFromNow: [-2, 3] },
    tasks: [
      {
        title: 'Deploy crm-app 2.1.0',
        workGroupId: 'wg_demo_enterprise',
        technician: 'omar',
        ciNames: ['crm-app'],
        set: { 'crm-app': { version: '2.1.0' } },
        outcome: 'done',
      },
    ],
    target: 'Closure',
  },
  {
    title: 'HR portal 1.8: leave balances',
    team: 'core',
    manager: 'rita',
    releaseType: 'minor',
    packageType: 'delta',
    urgency: 'medium',
    businessPriority: 2,
    window: { hoursFromNow: [-1, 3] },
    changes: ['hrPortal'],
    tasks: [
      {
        title: 'Migrate hr-db to schema 57',
        workGroupId: 'wg_demo_dba',
        technician: 'tom',
        ciNames: ['hr-db'],
        set: { 'hr-db': { schemaVersion: 57 } },
        outcome: 'done',
      },
      {
        title: 'Deploy hr-portal 1.8.0',
        workGroupId: 'wg_demo_enterprise',
        technician: 'nina',
        ciNames: ['hr-portal'],
        set: { 'hr-portal': { version: '1.8.0' } },
        outcome: 'done',
      },
    ],
    target: 'Backed Out',
    backout: { from: 'Audit', reason: 'Login loop for users without a leave profile (INC0010245)' },
    incidents: [
      {
        reference: 'INC0010245',
        severity: 'high',
        summary: 'Users without a leave profile are sent round a login loop',
      },
    ],
    articles: [
      {
        kind: 'backout-procedure',
        title: 'Back out HR portal 1.8',
        body: '1. Redeploy hr-portal 1.7.2 (`helm rollback hr-portal 0 -n hr`). 2. Run V57 undo script against hr-db. 3. Clear the session cache.',
        ciNames: ['hr-portal', 'hr-db'],
      },
    ],
  },
  {
    title: 'Data warehouse ETL v5',
    team: 'core',
    manager: 'rita',
    releaseType: 'major',
    packageType: 'full',
    urgency: 'low',
    businessPriority: 3,
    // Planned for two days ago: deployed now, so late (metrics count it as not on time).
    window: { hoursFromNow: [-50, -46] },
    changes: ['etl'],
    tasks: [
      {
        title: 'Deploy etl-jobs 5.0.0',
        workGroupId: 'wg_demo_enterprise',
        technician: 'omar',
        ciNames: ['etl-jobs'],
        set: { 'etl-jobs': { version: '5.0.0' } },
        outcome: 'done',
      },
    ],
    target: 'CMDB Update',
  },
  {
    title: 'Mobile BFF 2.0',
    team: 'digital',
    manager: 'raj',
    releaseType: 'major',
    packageType: 'full',
    urgency: 'medium',
    businessPriority: 2,
    window: { hoursFromNow: [-1, 5] },
    changes: ['mobileBff'],
    tasks: [
      {
        title: 'Deploy mobile-bff 2.0.0',
        workGroupId: 'wg_demo_web',
        technician: 'nina',
        ciNames: ['mobile-bff'],
        set: { 'mobile-bff': { version: '2.0.0' } },
        outcome: 'done',
      },
    ],
    target: 'Audit',
  },
  {
    title: 'Webshop search 1.2',
    team: 'digital',
    manager: 'raj',
    releaseType: 'minor',
    packageType: 'delta',
    urgency: 'high',
    businessPriority: 2,
    window: { hoursFromNow: [-1, 6] },
    // Left in Deployment with one task in each state.
    tasks: [
      {
        title: 'Deploy search-service 1.2.0',
        workGroupId: 'wg_demo_web',
        technician: 'nina',
        ciNames: ['search-service'],
        set: { 'search-service': { version: '1.2.0' } },
        outcome: 'done',
      },
      {
        title: 'Reindex the catalog',
        workGroupId: 'wg_demo_web',
        technician: 'omar',
        ciNames: ['catalog-service'],
        outcome: 'in_progress',
      },
      {
        title: 'Add the search_synonyms table to webshop-db',
        workGroupId: 'wg_demo_dba',
        technician: 'tom',
        ciNames: ['webshop-db'],
        set: { 'webshop-db': { schemaVersion: 213 } },
        outcome: 'failed',
        failure: 'Migration lock held by a long-running report query',
      },
      {
        title: 'Warm the CDN cache',
        workGroupId: 'wg_demo_web',
        technician: 'omar',
        ciNames: ['cdn-edge'],
        outcome: 'ready',
      },
    ],
    target: 'Deployment',
    articles: [
      {
        kind: 'backout-procedure',
        title: 'Back out search 1.2',
        body: 'Redeploy search-service 1.1.0 and drop the search_synonyms table.',
        ciNames: ['search-service'],
      },
    ],
  },
  {
    title: 'CRM connector 3.0',
    team: 'digital',
    manager: 'raj',
    releaseType: 'major',
    packageType: 'full',
    urgency: 'medium',
    businessPriority: 3,
    window: { hoursFromNow: [24, 28] },
    changes: ['crmConnector'],
    managedBy: { change: 'crmConnector', state: 'Approved' },
    // Ready as soon as its RFC is Approved, while the release itself is still in Testing.
    tasks: [
      {
        title: 'Deploy crm-connector 3.0.0',
        workGroupId: 'wg_demo_enterprise',
        technician: 'omar',
        ciNames: ['crm-connector'],
        set: { 'crm-connector': { version: '3.0.0' } },
        outcome: 'in_progress',
      },
      {
        title: 'Open firewall route to the mail service',
        workGroupId: 'wg_demo_linux',
        technician: 'tina',
        ciNames: ['smtp-relay'],
        outcome: 'ready',
      },
    ],
    target: 'Testing',
  },
  {
    title: 'Payroll 4.2: 2027 tax tables',
    team: 'core',
    manager: 'rita',
    releaseType: 'minor',
    packageType: 'delta',
    urgency: 'high',
    businessPriority: 1,
    // Planned inside the next month-end blackout: it shows the conflict (and cannot deploy then).
    window: { inBlackoutOf: 'Payroll month-end close', ci: 'payroll-app' },
    changes: ['payrollTax'],
    tasks: [
      {
        title: 'Install payroll-app 4.2.0',
        workGroupId: 'wg_demo_enterprise',
        technician: 'omar',
        ciNames: ['payroll-app'],
        set: { 'payroll-app': { version: '4.2.0' } },
        outcome: 'planned',
      },
      {
        title: 'Load 2027 tax tables into payroll-db',
        workGroupId: 'wg_demo_dba',
        technician: 'tina',
        ciNames: ['payroll-db'],
        outcome: 'planned',
      },
    ],
    target: 'Testing',
  },
  {
    title: 'Pricing engine 7.1',
    team: 'core',
    manager: 'rita',
    releaseType: 'minor',
    packageType: 'package',
    urgency: 'medium',
    businessPriority: 2,
    window: { hoursFromNow: [168, 172] },
    changes: ['pricing'],
    tasks: [
      {
        title: 'Deploy pricing-engine 7.1.0',
        workGroupId: 'wg_demo_linux',
        technician: 'tom',
        ciNames: ['pricing-engine'],
        set: { 'pricing-engine': { version: '7.1.0' } },
        outcome: 'planned',
      },
    ],
    target: 'Development',
  },
  {
    title: 'SSO gateway on Keycloak 25',
    team: 'core',
    manager: 'rita',
    releaseType: 'major',
    packageType: 'full',
    urgency: 'low',
    businessPriority: 3,
    window: { hoursFromNow: [336, 342] },
    tasks: [
      {
        title: 'Upgrade sso-gateway to 25.0.6',
        workGroupId: 'wg_demo_linux',
        technician: 'tina',
        ciNames: ['sso-gateway'],
        set: { 'sso-gateway': { version: '25.0.6' } },
        outcome: 'planned',
      },
    ],
    target: 'Assessment',
  },
  {
    title: 'Fax gateway 2.4',
    team: 'core',
    manager: 'rita',
    releaseType: 'minor',
    packageType: 'package',
    urgency: 'low',
    businessPriority: 5,
    window: { hoursFromNow: [72, 74] },
    tasks: [],
    target: 'Cancelled',
    cancel: { from: 'Development', reason: 'The fax gateway is to be replaced; no more releases of it.' },
  },
  {
    title: 'Order-gateway 12.4.2 hotfix',
    team: 'core',
    manager: 'rita',
    releaseType: 'emergency',
    packageType: 'delta',
    urgency: 'critical',
    businessPriority: 1,
    workflowId: 'release-fast-track',
    // Inside market hours: entering Deployment needs rita's blackout override.
    window: { inBlackoutOf: 'Trading market hours', ci: 'order-gateway' },
    changes: ['hotfix'],
    tasks: [
      {
        title: 'Install order-gateway 12.4.2 on nyc-trd-02',
        workGroupId: 'wg_demo_linux',
        technician: 'tom',
        ciNames: ['order-gateway'],
        set: { 'order-gateway': { version: '12.4.2' } },
        outcome: 'in_progress',
      },
    ],
    target: 'Deployment',
    override: 'FIX sessions drop after every failover: the desk cannot trade safely (KE-0042)',
  },
];

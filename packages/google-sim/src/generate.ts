import { generateKeyPairSync, randomBytes } from "node:crypto";
import { seededRandom } from "@roster/entra-sim";
import { type SimGoogle, type SimGoogleUser, type SimMember, SimWorkspace } from "./model.ts";

export const DIRECTORY_SCOPES = [
  "https://www.googleapis.com/auth/admin.directory.user.readonly",
  "https://www.googleapis.com/auth/admin.directory.group.member.readonly",
  "https://www.googleapis.com/auth/admin.directory.group.readonly",
] as const;

const GIVEN = ["Ada", "Grace", "Alan", "Barbara", "Ken", "Margaret", "Radia", "Hedy", "Sophie"];
const FAMILY = ["Lovelace", "Hopper", "Turing", "Liskov", "Thompson", "Hamilton", "O'Brien"];
const ORG_UNITS = ["/", "/Sales", "/Sales/EMEA", "/Engineering", "/Engineering/Platform"];
const DEPARTMENTS = ["Sales", "Engineering", "Support", undefined];

export type GenerateWorkspaceOptions = {
  /** Ordinary users (the edge cases and the administrators are added on top). */
  users: number;
  seed?: number;
  domain?: string;
  customerId?: string;
  /** Redirect URIs registered on the sign-in OAuth client. */
  redirectUris?: string[];
  /** Scopes granted to the service account by domain-wide delegation (default: the three read-only ones). */
  grantedScopes?: readonly string[];
};

/** A service account key file as the Cloud console downloads it. */
export type ServiceAccountKey = {
  type: "service_account";
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
};

export type GeneratedWorkspace = {
  customerId: string;
  domain: string;
  adminEmail: string;
  /** An ordinary user: impersonating it fails with 403 forbidden. */
  nonAdminEmail: string;
  serviceAccountKey: ServiceAccountKey;
  /** The Web OAuth client for Sign in with Google (Internal). */
  oauthClient: { clientId: string; clientSecret: string };
  /** Ids of every user of the Workspace. */
  userIds: string[];
  orgUnits: { sales: string; salesEmea: string; engineering: string };
  groups: {
    /** root ⊃ child ⊃ grandchild ⊃ root: a cycle (Google allows it). Root also holds an external and a customer member. */
    nestedRoot: string;
    nestedChild: string;
    nestedGrandchild: string;
    /** Every tenth ordinary user; overlaps nestedRoot's direct members. */
    sample: string;
  };
  groupEmails: { nestedRoot: string; sample: string };
  edgeCases: {
    suspended: string;
    archived: string;
    noNames: string;
    withAliasAndCustomFields: string;
  };
};

/** A 21-digit numeric id, the shape of Directory API user ids and OAuth client ids. */
const numericId = (random: () => number) =>
  `1${Array.from({ length: 20 }, () => Math.floor(random() * 10)).join("")}`;
/** A group id such as `03x8tuzt1e2x3k5`. */
const groupId = (random: () => number) =>
  `0${Array.from({ length: 14 }, () => "0123456789abcdefghijklmnopqrstuvwxyz"[Math.floor(random() * 36)]).join("")}`;

/** Generates an RSA service account key and registers its public half with the simulator. */
export function createServiceAccount(
  google: SimGoogle,
  options: { projectId: string; name?: string; clientId: string },
): ServiceAccountKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const clientEmail = `${options.name ?? "roster-sync"}@${options.projectId}.iam.gserviceaccount.com`;
  google.serviceAccounts.set(clientEmail, { clientEmail, clientId: options.clientId, publicKey });
  return {
    type: "service_account",
    project_id: options.projectId,
    private_key_id: randomBytes(20).toString("hex"),
    private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    client_email: clientEmail,
    client_id: options.clientId,
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: "https://oauth2.googleapis.com/token",
    auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
    universe_domain: "googleapis.com",
  };
}

/** Adds a realistic Workspace (org units, nested groups, awkward users) to `google`. */
export function generateWorkspace(
  google: SimGoogle,
  options: GenerateWorkspaceOptions,
): GeneratedWorkspace {
  const random = seededRandom(options.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const domain = options.domain ?? "example.test";
  const customerId =
    options.customerId ??
    `C0${Array.from({ length: 7 }, () => "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(random() * 36)]).join("")}`;
  const workspace = google.addWorkspace(
    new SimWorkspace(customerId, domain, [domain, `alias.${domain}`]),
  );
  const created = "2021-01-05T10:00:00.000Z";
  const user = (fields: Partial<SimGoogleUser> & { primaryEmail: string }): SimGoogleUser => {
    const value: SimGoogleUser = {
      id: numericId(random),
      isAdmin: false,
      suspended: false,
      archived: false,
      orgUnitPath: "/",
      creationTime: created,
      ...fields,
    };
    workspace.upsertUser(value);
    return value;
  };

  const admin = user({
    primaryEmail: `admin@${domain}`,
    name: { givenName: "Dana", familyName: "Admin", fullName: "Dana Admin" },
    isAdmin: true,
  });
  const nonAdmin = user({
    primaryEmail: `helpdesk@${domain}`,
    name: { givenName: "Hal", familyName: "Desk", fullName: "Hal Desk" },
  });
  const ordinary: SimGoogleUser[] = [];
  for (let index = 0; index < options.users; index += 1) {
    const given = pick(GIVEN);
    const family = pick(FAMILY);
    const local = `${given}.${family}${index}`.toLowerCase().replace(/[^a-z0-9.]/g, "");
    const department = pick(DEPARTMENTS);
    ordinary.push(
      user({
        primaryEmail: `${local}@${domain}`,
        name: { givenName: given, familyName: family, fullName: `${given} ${family}` },
        orgUnitPath: ORG_UNITS[index % ORG_UNITS.length] as string,
        externalIds: [{ value: `E${10000 + index}`, type: "organization" }],
        ...(department ? { organizations: [{ department, primary: true }] } : {}),
      }),
    );
  }
  const suspended = user({
    primaryEmail: `suspended.user@${domain}`,
    name: { givenName: "Sam", familyName: "Suspended", fullName: "Sam Suspended" },
    suspended: true,
    orgUnitPath: "/Sales",
  });
  const archived = user({
    primaryEmail: `archived.user@${domain}`,
    name: { givenName: "Abe", familyName: "Archived", fullName: "Abe Archived" },
    archived: true,
    orgUnitPath: "/Engineering",
  });
  const noNames = user({ primaryEmail: `no.names@${domain}`, name: {} });
  const withExtras = user({
    primaryEmail: `jo.extras@${domain}`,
    name: { givenName: "Jo", familyName: "Extras", fullName: "Jo Extras" },
    aliases: [`jo@alias.${domain}`],
    externalIds: [{ value: "E99999", type: "organization" }],
    organizations: [{ department: "R&D", title: "Engineer", primary: true }],
    customSchemas: { HR: { EmployeeNumber: "12345", CostCenter: "CC-9" } },
    orgUnitPath: "/Engineering/Platform",
  });

  const asMember = (member: SimGoogleUser): SimMember => ({
    id: member.id,
    email: member.primaryEmail,
    role: "MEMBER",
    type: "USER",
    status: member.suspended ? "SUSPENDED" : "ACTIVE",
  });
  const ids = {
    nestedRoot: groupId(random),
    nestedChild: groupId(random),
    nestedGrandchild: groupId(random),
    sample: groupId(random),
  };
  const groupMember = (id: string, email: string): SimMember => ({
    id,
    email,
    role: "MEMBER",
    type: "GROUP",
  });
  const third = Math.max(1, Math.floor(ordinary.length / 3));
  workspace.addGroup({
    id: ids.nestedRoot,
    email: `all-staff@${domain}`,
    name: "All staff",
    description: "Root of the nested groups",
    members: [
      ...ordinary.slice(0, third).map(asMember),
      asMember(suspended),
      groupMember(ids.nestedChild, `engineering@${domain}`),
      { email: "partner@outside.test", role: "MEMBER", type: "EXTERNAL", status: "ACTIVE" },
      { id: customerId, email: "", role: "MEMBER", type: "CUSTOMER" },
    ],
  });
  workspace.addGroup({
    id: ids.nestedChild,
    email: `engineering@${domain}`,
    name: "Engineering",
    description: "Nested in All staff",
    members: [
      ...ordinary.slice(third, 2 * third).map(asMember),
      asMember(withExtras),
      groupMember(ids.nestedGrandchild, `platform@${domain}`),
    ],
  });
  workspace.addGroup({
    id: ids.nestedGrandchild,
    email: `platform@${domain}`,
    name: "Platform",
    description: "Nested in Engineering; contains All staff again (a cycle)",
    members: [
      ...ordinary.slice(2 * third, 2 * third + 5).map(asMember),
      ...ordinary.slice(0, 3).map(asMember),
      groupMember(ids.nestedRoot, `all-staff@${domain}`),
    ],
  });
  workspace.addGroup({
    id: ids.sample,
    email: `sample@${domain}`,
    name: "Every tenth",
    description: "A flat group overlapping All staff",
    members: ordinary.filter((_, index) => index % 10 === 0).map(asMember),
  });

  const projectNumber = numericId(random);
  const serviceAccountKey = createServiceAccount(google, {
    projectId: `roster-sim-${projectNumber.slice(0, 6)}`,
    clientId: numericId(random),
  });
  workspace.delegations.set(serviceAccountKey.client_id, [
    ...(options.grantedScopes ?? DIRECTORY_SCOPES),
  ]);
  const oauthClient = {
    clientId: `${projectNumber.slice(0, 12)}-${randomBytes(16).toString("hex")}.apps.googleusercontent.com`,
    clientSecret: `GOCSPX-${randomBytes(21).toString("base64url")}`,
  };
  workspace.oauthClients.set(oauthClient.clientId, {
    ...oauthClient,
    redirectUris: options.redirectUris ?? [],
    internal: true,
  });

  return {
    customerId,
    domain,
    adminEmail: admin.primaryEmail,
    nonAdminEmail: nonAdmin.primaryEmail,
    serviceAccountKey,
    oauthClient,
    userIds: [...workspace.users.keys()],
    orgUnits: { sales: "/Sales", salesEmea: "/Sales/EMEA", engineering: "/Engineering" },
    groups: ids,
    groupEmails: { nestedRoot: `all-staff@${domain}`, sample: `sample@${domain}` },
    edgeCases: {
      suspended: suspended.id,
      archived: archived.id,
      noNames: noNames.id,
      withAliasAndCustomFields: withExtras.id,
    },
  };
}

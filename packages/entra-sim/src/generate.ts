import { blankUser, type SimDirectory, type SimUser } from "./model.ts";

/** Small deterministic PRNG (mulberry32): the same seed yields the same directory. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A version-4-shaped GUID drawn from `random`. */
export function seededGuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = "4";
  hex[16] = "89ab"[Math.floor(random() * 4)] as string;
  const s = hex.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

const GIVEN = [
  "Ada",
  "Grace",
  "Alan",
  "Edsger",
  "Barbara",
  "Ken",
  "Margaret",
  "Linus",
  "Frances",
  "Dennis",
  "Radia",
  "Tim",
  "Hedy",
  "John",
  "Katherine",
  "Niklaus",
  "Sophie",
  "Anders",
  "Ingrid",
  "Mary Ann",
];
const SURNAMES = [
  "Lovelace",
  "Hopper",
  "Turing",
  "Dijkstra",
  "Liskov",
  "Thompson",
  "Hamilton",
  "Torvalds",
  "Allen",
  "Ritchie",
  "Perlman",
  "Berners-Lee",
  "Lamarr",
  "O'Brien",
  "Johnson",
  "Wirth",
  "Wilson",
  "Hejlsberg",
  "van der Berg",
  "Müller",
];
const DEPARTMENTS = ["Sales", "Engineering", "Support", "Finance", "Operations", null];

export type GenerateOptions = {
  /** Number of ordinary members (edge cases are added on top). */
  users: number;
  seed?: number;
  tenantId?: string;
  domain?: string;
  displayName?: string;
  clientId?: string;
  secret?: string;
  /** Application permissions granted to the app. */
  roles?: string[];
  /** Web-platform redirect URIs of the app registration (none: sign-in gets AADSTS500113). */
  redirectUris?: string[];
};

/** What a test or the demo needs to know about a generated tenant. */
export type GeneratedTenant = {
  tenantId: string;
  domain: string;
  clientId: string;
  secret: string;
  groups: {
    /** Root ⊃ child ⊃ grandchild ⊃ root (a cycle, as Entra allows). */
    nestedRoot: string;
    nestedChild: string;
    nestedGrandchild: string;
    /** A flat group with every tenth member. */
    sample: string;
  };
  /** Ids of the deliberately awkward users, by kind. */
  edgeCases: Record<EdgeCase, string>;
};

export type EdgeCase =
  | "guestWithMail"
  | "guestWithoutMail"
  | "noMailUsesUpn"
  | "displayNameComma"
  | "displayNameWords"
  | "displayNameSingle"
  | "noNamesAtAll"
  | "disabled"
  | "duplicateMailFirst"
  | "duplicateMailSecond";

export const DEFAULT_ROLES = ["User.Read.All", "GroupMember.Read.All", "Group.Read.All"];

/** Adds a realistic tenant (members, guests, awkward names, nested groups) to `directory`. */
export function generateTenant(directory: SimDirectory, options: GenerateOptions): GeneratedTenant {
  const random = seededRandom(options.seed ?? 1);
  const guid = () => seededGuid(random);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const tenantId = options.tenantId ?? guid();
  const domain = options.domain ?? "contoso.example";
  const tenant = directory.addTenant({
    id: tenantId,
    displayName: options.displayName ?? "Contoso",
    domain,
  });
  const clientId = options.clientId ?? guid();
  const secret = options.secret ?? `sim~${guid().replaceAll("-", "")}`;
  tenant.apps.set(clientId, {
    clientId,
    displayName: "Roster user sync",
    secrets: [{ value: secret, expiresAt: new Date("2099-01-01T00:00:00Z") }],
    roles: options.roles ?? DEFAULT_ROLES,
    redirectUris: (options.redirectUris ?? []).map((uri) => ({ uri, platform: "web" as const })),
  });

  const members: SimUser[] = [];
  for (let index = 0; index < options.users; index += 1) {
    const given = pick(GIVEN);
    const surname = pick(SURNAMES);
    const nick = `${given[0]}${surname}${index}`.toLowerCase().replace(/[^a-z0-9]/g, "");
    const user: SimUser = {
      ...blankUser(guid(), `${nick}@${domain}`),
      mail: `${nick}@${domain}`,
      givenName: given,
      surname,
      displayName: `${given} ${surname}`,
      onPremisesSamAccountName: random() < 0.8 ? nick.slice(0, 20) : null,
      employeeId: String(100000 + index),
      department: pick(DEPARTMENTS),
      jobTitle: pick(["Engineer", "Manager", "Analyst", null]),
      mailNickname: nick,
    };
    members.push(user);
    tenant.upsertUser(user);
  }

  const edge = (kind: EdgeCase, build: (id: string) => SimUser): [EdgeCase, string] => {
    const user = build(guid());
    tenant.upsertUser(user);
    members.push(user);
    return [kind, user.id];
  };
  const edgeCases = Object.fromEntries([
    edge("guestWithMail", (id) => ({
      ...blankUser(id, `alice_fabrikam.example#EXT#@${domain}`),
      mail: "alice@fabrikam.example",
      givenName: "Alice",
      surname: "Guest",
      displayName: "Alice Guest",
      userType: "Guest",
      mailNickname: "alice_fabrikam.example#EXT#",
    })),
    edge("guestWithoutMail", (id) => ({
      ...blankUser(id, `bob_fabrikam.example#EXT#@${domain}`),
      givenName: "Bob",
      surname: "Guest",
      displayName: "Bob Guest",
      userType: "Guest",
    })),
    edge("noMailUsesUpn", (id) => ({
      ...blankUser(id, `no.mailbox@${domain}`),
      givenName: "Noah",
      surname: "Mailbox",
      displayName: "Noah Mailbox",
      onPremisesSamAccountName: "nmailbox",
    })),
    edge("displayNameComma", (id) => ({
      ...blankUser(id, `jane.doe@${domain}`),
      mail: `jane.doe@${domain}`,
      displayName: "Doe, Jane",
    })),
    edge("displayNameWords", (id) => ({
      ...blankUser(id, `mary.smith@${domain}`),
      mail: `mary.smith@${domain}`,
      givenName: "Mary Ann",
      displayName: "Mary Ann Smith",
    })),
    edge("displayNameSingle", (id) => ({
      ...blankUser(id, `cher@${domain}`),
      mail: `cher@${domain}`,
      displayName: "Cher",
    })),
    edge("noNamesAtAll", (id) => ({
      ...blankUser(id, `svc.backup@${domain}`),
      mail: `svc.backup@${domain}`,
    })),
    edge("disabled", (id) => ({
      ...blankUser(id, `former.employee@${domain}`),
      mail: `former.employee@${domain}`,
      givenName: "Former",
      surname: "Employee",
      displayName: "Former Employee",
      accountEnabled: false,
    })),
    edge("duplicateMailFirst", (id) => ({
      ...blankUser(id, `shared.one@${domain}`),
      mail: `Shared@${domain}`,
      givenName: "Shared",
      surname: "One",
      displayName: "Shared One",
    })),
    edge("duplicateMailSecond", (id) => ({
      ...blankUser(id, `shared.two@${domain}`),
      mail: `shared@${domain}`,
      givenName: "Shared",
      surname: "Two",
      displayName: "Shared Two",
    })),
  ]) as Record<EdgeCase, string>;

  const group = (displayName: string, memberIds: string[]) => {
    const id = guid();
    tenant.groups.set(id, {
      id,
      displayName,
      description: null,
      mailNickname: displayName.toLowerCase().replace(/[^a-z0-9]/g, ""),
      memberIds,
    });
    return id;
  };
  const third = Math.ceil(members.length / 3);
  const nestedGrandchild = group(
    "Field engineers",
    members.slice(2 * third).map((u) => u.id),
  );
  const nestedChild = group("Engineering", [
    ...members.slice(third, 2 * third).map((u) => u.id),
    nestedGrandchild,
  ]);
  const nestedRoot = group("All staff", [...members.slice(0, third).map((u) => u.id), nestedChild]);
  // Entra allows cycles; a faithful simulator keeps one to prove the reader tolerates it.
  tenant.groups.get(nestedGrandchild)?.memberIds.push(nestedRoot);
  const sample = group(
    "Pilot users",
    members.filter((_, index) => index % 10 === 0).map((u) => u.id),
  );

  return {
    tenantId,
    domain,
    clientId,
    secret,
    groups: { nestedRoot, nestedChild, nestedGrandchild, sample },
    edgeCases,
  };
}

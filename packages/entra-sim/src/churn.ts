import { seededGuid, seededRandom } from "./generate.ts";
import { blankUser, type SimTenant } from "./model.ts";

export type ChurnOptions = {
  /** Share of the users each kind of change touches (at least one each). */
  percent?: number;
  seed?: number;
  /**
   * `basic` (default, what the benchmark measures): adds, renames and soft-deletes.
   * `all` also disables and re-enables, clears a property, deletes permanently, restores a
   * soft-deleted user and changes group memberships (users and nested groups, both ways).
   */
  mix?: "basic" | "all";
};

export type ChurnResult = {
  added: number;
  renamed: number;
  removed: number;
  disabled?: number;
  purged?: number;
  restored?: number;
  membershipChanges?: number;
};

/** A day of directory churn; every change goes through the tenant so full and delta reads see it. */
export function churnDay(tenant: SimTenant, options: ChurnOptions = {}): ChurnResult {
  const { percent = 1, seed = 7, mix = "basic" } = options;
  const random = seededRandom(seed);
  const users = [...tenant.sortedUsers()];
  const count = Math.max(1, Math.floor((users.length * percent) / 100));
  const domain = tenant.info.domain;
  for (let i = 0; i < count; i += 1) {
    const id = seededGuid(random);
    tenant.upsertUser({
      ...blankUser(id, `hire${seed}x${i}@${domain}`),
      mail: `hire${seed}x${i}@${domain}`,
      givenName: "New",
      surname: `Hire${i}`,
      displayName: `New Hire${i}`,
      onPremisesSamAccountName: `hire${seed}x${i}`,
    });
  }
  for (let i = 0; i < count; i += 1) {
    const user = users[(i * 2) % users.length];
    if (user) tenant.upsertUser({ ...user, surname: `${user.surname ?? ""}-Renamed` });
  }
  const removed = new Set<string>();
  for (let i = 0; i < count; i += 1) {
    const user = users[(i * 2 + 1) % users.length];
    if (user) removed.add(user.id);
  }
  tenant.deleteUsers([...removed]);
  const result: ChurnResult = { added: count, renamed: count, removed: removed.size };
  if (mix === "basic") return result;

  const pick = <T>(items: readonly T[]): T | undefined =>
    items[Math.floor(random() * items.length)];
  const live = () => tenant.sortedUsers();
  let disabled = 0;
  for (let i = 0; i < count; i += 1) {
    const user = pick(live());
    if (!user) break;
    // Toggle: some accounts are disabled, some disabled ones come back; one loses its mail.
    tenant.upsertUser({
      ...user,
      accountEnabled: !user.accountEnabled,
      mail: i === 0 ? null : user.mail,
      department: random() < 0.5 ? null : "Churned",
    });
    disabled += 1;
  }
  const softDeleted = tenant.softDeletedIds();
  const restoredId = pick(softDeleted);
  const restored = restoredId && tenant.restoreUser(restoredId) ? 1 : 0;
  const purge = tenant
    .softDeletedIds()
    .filter(() => random() < 0.3)
    .concat(random() < 0.5 ? (pick(live())?.id ?? []) : []);
  const purged = tenant.deleteUsers(purge, { permanently: true });

  let membershipChanges = 0;
  const groups = [...tenant.groups.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  for (let i = 0; i < count; i += 1) {
    const group = pick(groups);
    const user = pick(live());
    if (!group || !user) break;
    const changed = group.memberIds.includes(user.id)
      ? tenant.removeMember(group.id, user.id)
      : tenant.addMember(group.id, user.id);
    if (changed) membershipChanges += 1;
  }
  // Nesting both ways: a new group (with members) inside an existing one, and one taken out.
  const parent = pick(groups);
  if (parent) {
    const id = seededGuid(random);
    const members = Array.from({ length: Math.max(1, Math.floor(count / 2)) }, () => pick(live()))
      .flatMap((user) => (user ? [user.id] : []))
      .filter((memberId, index, all) => all.indexOf(memberId) === index);
    tenant.addGroup({
      id,
      displayName: `Team ${seed}`,
      description: null,
      mailNickname: `team${seed}`,
      memberIds: members,
    });
    tenant.addMember(parent.id, id);
    membershipChanges += members.length + 1;
  }
  const nesting = groups.flatMap((group) =>
    group.memberIds.filter((id) => tenant.groups.has(id)).map((child) => [group.id, child]),
  );
  const unnest = random() < 0.5 ? pick(nesting) : undefined;
  if (unnest && tenant.removeMember(unnest[0] as string, unnest[1] as string)) {
    membershipChanges += 1;
  }
  return { ...result, disabled, purged, restored, membershipChanges };
}

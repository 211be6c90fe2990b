import { connectorConformance } from "@roster/connector-kit/testing";
import { generateTenant, SimDirectory, startEntraSim } from "@roster/entra-sim";
import { entraId } from "../src/index.ts";

const directory = new SimDirectory();
// More users than one Graph page (999).
const generated = generateTenant(directory, { users: 1100, seed: 17 });
const sim = await startEntraSim({ directory });
const tenant = directory.find(generated.tenantId);
if (!tenant) throw new Error("the generated tenant is missing");
const members = (groupId: string) => tenant.transitiveMembers(groupId).users.map((user) => user.id);
const { nestedRoot, sample } = generated.groups;

connectorConformance({
  name: "Microsoft Entra ID against @roster/entra-sim",
  connector: entraId({
    authorityHost: sim.url,
    graphBaseUrl: sim.url,
    retry: { delaySeconds: 0, maxRetries: 1 },
    pageAttempts: 2,
    pageRetryDelayMs: 5,
  }),
  directory: async () => ({
    allUsers: { applicationId: generated.clientId, directoryId: generated.tenantId },
    selectedGroups: (ids) => ({
      applicationId: generated.clientId,
      directoryId: generated.tenantId,
      groups: { mode: "selected", ids: [...ids] },
      users: "selectedGroups",
    }),
    secret: generated.secret,
    badSecret: "not-the-secret",
    userIds: tenant.sortedUsers().map((user) => user.id),
    overlappingGroups: {
      ids: [nestedRoot, sample],
      memberIds: [members(nestedRoot), members(sample)],
    },
    fields: ["onPremisesSamAccountName"],
    failFromPage: (page) => {
      sim.setFaults({ failFromPage: page });
      return async () => sim.setFaults({});
    },
  }),
  teardown: () => sim.stop(),
});

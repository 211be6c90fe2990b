import { connectorConformance } from "@roster/connector-kit/testing";
import { generateWorkspace, SimGoogle, startGoogleSim } from "@roster/google-sim";
import { googleWorkspace } from "../src/index.ts";
import { expectedMembers, withForeignKey } from "./support.ts";

const google = new SimGoogle();
const workspace = generateWorkspace(google, { users: 1100, seed: 21 });
const sim = await startGoogleSim({ google });
const model = google.workspaces.get(workspace.customerId);
if (!model) throw new Error("the generated workspace is missing");
const { nestedRoot, sample } = workspace.groups;

connectorConformance({
  name: "Google Workspace against @roster/google-sim",
  connector: googleWorkspace({
    tokenUrl: sim.tokenUrl,
    directoryUrl: sim.directoryUrl,
    issuerUrl: sim.issuerUrl,
    backoff: { attempts: 4, baseMs: 5, maxMs: 20 },
    transientRetry: { retries: 1, delayMs: 5 },
  }),
  directory: async () => ({
    allUsers: { adminEmail: workspace.adminEmail },
    selectedGroups: (ids) => ({
      adminEmail: workspace.adminEmail,
      users: "selectedGroups",
      groups: [...ids],
    }),
    secret: JSON.stringify(workspace.serviceAccountKey),
    badSecret: JSON.stringify(withForeignKey(workspace.serviceAccountKey)),
    userIds: [...model.users.keys()],
    overlappingGroups: {
      ids: [nestedRoot, sample],
      memberIds: [expectedMembers(model, nestedRoot), expectedMembers(model, sample)],
    },
    fields: ["primaryEmail", "name.givenName"],
    failFromPage: (page) => {
      sim.setFaults({ failFromPage: page });
      return async () => sim.setFaults({});
    },
  }),
  teardown: () => sim.stop(),
});

import {
  connectorConformance,
  type ToyDirectory,
  toyConnector,
  toyUser,
} from "../src/testing/index.ts";

// The toy connector passes the suite every real connector runs (connectors/*/test).
const directory: ToyDirectory = {
  users: Array.from({ length: 250 }, (_, index) => toyUser(`u${index}`)),
  groups: [
    { externalId: "g1", name: "One", memberIds: ["u1", "u2", "u3"] },
    { externalId: "g2", name: "Two", memberIds: ["u3", "u4"] },
  ],
  pageSize: 100,
};
const connector = toyConnector(directory);

connectorConformance({
  name: "toy",
  connector,
  directory: async () => ({
    allUsers: {},
    selectedGroups: (ids) => ({ groupIds: [...ids], users: "selectedGroups" }),
    secret: "right",
    badSecret: "wrong",
    userIds: directory.users.map((user) => user.externalId),
    overlappingGroups: {
      ids: ["g1", "g2"],
      memberIds: [
        ["u1", "u2", "u3"],
        ["u3", "u4"],
      ],
    },
    fields: ["username"],
    failFromPage: (page) => {
      directory.failAfterPage = page - 1;
      return async () => {
        directory.failAfterPage = undefined;
      };
    },
  }),
});

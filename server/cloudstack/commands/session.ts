import { CsError } from "../errors";
import { loginParams } from "../session";
import { command } from "./types";

/**
 * login and logout, for listApis and parameter names: api.ts answers both through
 * server/cloudstack/session.ts (login comes before any authentication; logout ends the session).
 */
export const sessionCommands = [
  command({
    name: "login",
    description: "Logs a user in with username and password: answers a session key and sets the session cookie",
    isasync: false,
    params: loginParams,
    run() {
      return Promise.reject(new CsError(530, "login is answered before authentication"));
    },
  }),
  command({
    name: "logout",
    description: "Logs out the session of the session key",
    isasync: false,
    params: {},
    // Signed with an API key there is no session to end.
    run: () => Promise.resolve({ description: "success" }),
  }),
];

export * from "./domains";
export * from "./accounts";
export * from "./users";
export * from "./limits";
export * from "./infrastructure";
export * from "./offerings";
export * from "./events";

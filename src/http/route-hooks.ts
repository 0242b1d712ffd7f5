// A route's hooks of one kind as a list: Fastify takes none, one, or an array in route options,
// and the onRoute hooks that add route-level hooks (access, cross-site guard, body check, request
// log) all need to extend what is there.
export function hookList<T>(hooks: T | T[] | undefined): T[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}

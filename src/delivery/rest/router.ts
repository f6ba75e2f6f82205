/**
 * Matches a request path against the modules' route patterns, as Go's mux does for Delivery: a
 * pattern matches a path of as many segments whose literals are equal (a trailing or doubled '/'
 * matches nothing), on the percent-decoded path. Where two patterns match, the one with a literal at
 * the first segment they differ wins (`/checkpoints/latest/:root` before `/checkpoints/:root/:number`).
 */
import type { RestRoute } from './interface.ts';

export function pathSegments(path: string): string[] {
  return path.split('/').filter((p) => p !== '');
}

/** A request path's segments, percent-decoded; null when one is empty or not decodable. */
function requestSegments(pathname: string): string[] | null {
  const raw = pathname.split('/').slice(1);
  const out: string[] = [];
  for (const seg of raw) {
    if (seg === '') return null;
    try {
      out.push(decodeURIComponent(seg));
    } catch {
      return null;
    }
  }
  return out;
}

/** Two patterns with the same shape would match the same paths: `/a/:x` and `/a/:y` are one route. */
export function routeShape(path: string): string {
  return (
    '/' +
    pathSegments(path)
      .map((s) => (s.startsWith(':') ? ':' : s))
      .join('/')
  );
}

export function methodOf(route: RestRoute): 'GET' | 'POST' {
  return route.method ?? 'GET';
}

interface Compiled {
  route: RestRoute;
  /** The metrics label: the pattern without its leading slash. */
  label: string;
  segments: { literal: string | null; param: string }[];
}

function bySpecificity(a: Compiled, b: Compiled): number {
  if (a.segments.length !== b.segments.length) return a.segments.length - b.segments.length;
  for (let i = 0; i < a.segments.length; i++) {
    const x = a.segments[i]!.literal;
    const y = b.segments[i]!.literal;
    if ((x === null) !== (y === null)) return x === null ? 1 : -1;
  }
  return 0;
}

export class RestRouter {
  private readonly routes: Compiled[];

  constructor(routes: readonly RestRoute[]) {
    const shapes = new Map<string, string>();
    this.routes = routes.map((route) => {
      const shape = `${methodOf(route)} ${routeShape(route.path)}`;
      const other = shapes.get(shape);
      if (other !== undefined) throw new Error(`REST route ${methodOf(route)} ${route.path} would shadow ${other}`);
      shapes.set(shape, route.path);
      const segments = pathSegments(route.path).map((s) => (s.startsWith(':') ? { literal: null, param: s.slice(1) } : { literal: s, param: '' }));
      return { route, label: segments.map((s) => s.literal ?? ':' + s.param).join('/'), segments };
    });
    this.routes.sort(bySpecificity);
  }

  /**
   * The route for `method` at `pathname`; `{ allowed }` when the path is served only with other
   * methods (a 405); null when no route has that path.
   */
  match(pathname: string, method = 'GET'): { route: RestRoute; label: string; params: Record<string, string> } | { allowed: string[] } | null {
    const parts = requestSegments(pathname);
    if (!parts) return null;
    const allowed: string[] = [];
    for (const c of this.routes) {
      if (c.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const s = c.segments[i]!;
        if (s.literal === null) params[s.param] = parts[i]!;
        else ok = s.literal === parts[i];
      }
      if (!ok) continue;
      if (methodOf(c.route) === method) return { route: c.route, label: c.label, params };
      allowed.push(methodOf(c.route));
    }
    return allowed.length > 0 ? { allowed } : null;
  }
}

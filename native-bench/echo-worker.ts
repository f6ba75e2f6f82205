/** Transport bench worker: touches nothing, returns nothing: the round trip is the whole cost. */
export default function echo(_payload: unknown): null {
  return null;
}

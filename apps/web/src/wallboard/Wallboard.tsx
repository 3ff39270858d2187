export default function Wallboard() {
  return null;
}

export default function Workstation() {
  return null;
}

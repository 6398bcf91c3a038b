switch (area) {
  case 'north': return 1.1;
  case 'south': return 0.9;
  default: return 1;
}

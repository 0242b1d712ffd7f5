// A link inside the app: a real <a href> (the address shows; a screen reader hears a link), followed
// without reloading the page (navigation.ts).
import type { AnchorHTMLAttributes } from 'react';
import { navigate } from '../navigation';

export function Link({ to, ...rest }: { to: string } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href' | 'onClick'>) {
  return (
    <a
      href={to}
      onClick={(event) => {
        event.preventDefault();
        navigate(to);
      }}
      {...rest}
    />
  );
}

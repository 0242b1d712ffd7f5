// A row's action menu as a popover: placed with position: fixed from its button, so no scroll box
// clips it (it follows the button on scroll); arrows, Home and End move between items, Esc (or Tab) closes it and gives the focus
// back to the button.
import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';

export interface MenuItem {
  label: string;
  run: () => void;
}

export function RowMenu({ label, items, children }: { label: string; items: MenuItem[]; children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const [place, setPlace] = useState<{ top: number; left: number } | null>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLUListElement>(null);

  const close = (focusButton: boolean) => {
    setOpen(false);
    if (focusButton) buttonRef.current?.focus();
  };

  // Below the button (above it when there is no room), right-aligned, inside the window.
  const placeMenu = () => {
    if (!buttonRef.current || !menuRef.current) return;
    const button = buttonRef.current.getBoundingClientRect();
    const menu = menuRef.current.getBoundingClientRect();
    const below = button.bottom + 4;
    const top = below + menu.height > window.innerHeight ? Math.max(4, button.top - 4 - menu.height) : below;
    const left = Math.min(Math.max(4, button.right - menu.width), window.innerWidth - menu.width - 4);
    setPlace({ top, left });
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: placed when it opens; placeMenu reads refs only
  useLayoutEffect(() => {
    if (open) placeMenu();
    else setPlace(null);
  }, [open]);

  // The first item takes the focus once the menu is placed (hidden until then: not focusable).
  const placed = place !== null;
  useEffect(() => {
    if (open && placed && !menuRef.current?.contains(document.activeElement)) {
      menuRef.current?.querySelector<HTMLButtonElement>('[role=menuitem]')?.focus({ preventScroll: true });
    }
  }, [open, placed]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: listeners for one opening; close and placeMenu read refs only
  useEffect(() => {
    if (!open) return;
    const outside = (event: MouseEvent) => {
      if (!menuRef.current?.contains(event.target as Node) && !buttonRef.current?.contains(event.target as Node)) close(false);
    };
    // The page (or the table's box) scrolling moves the button: the menu follows it.
    document.addEventListener('mousedown', outside);
    window.addEventListener('resize', placeMenu);
    window.addEventListener('scroll', placeMenu, true);
    return () => {
      document.removeEventListener('mousedown', outside);
      window.removeEventListener('resize', placeMenu);
      window.removeEventListener('scroll', placeMenu, true);
    };
  }, [open]);

  const onKeyDown = (event: React.KeyboardEvent) => {
    const buttons = Array.from(menuRef.current?.querySelectorAll<HTMLButtonElement>('[role=menuitem]') ?? []);
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const to = (n: number) => {
      event.preventDefault();
      buttons[(n + buttons.length) % buttons.length]?.focus();
    };
    if (event.key === 'ArrowDown') to(i + 1);
    else if (event.key === 'ArrowUp') to(i - 1);
    else if (event.key === 'Home') to(0);
    else if (event.key === 'End') to(buttons.length - 1);
    else if (event.key === 'Escape') {
      event.preventDefault();
      close(true);
    } else if (event.key === 'Tab') close(true);
  };

  return (
    <>
      <button
        type="button"
        ref={buttonRef}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={label}
        onClick={() => setOpen(!open)}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
            event.preventDefault();
            setOpen(true);
          }
        }}
      >
        {children}
      </button>
      {open && (
        <ul
          role="menu"
          aria-label={label}
          ref={menuRef}
          className="menu-list popover"
          style={place ? { position: 'fixed', top: place.top, left: place.left } : { position: 'fixed', visibility: 'hidden', top: 0, left: 0 }}
          onKeyDown={onKeyDown}
        >
          {items.map((item) => (
            <li role="none" key={item.label}>
              <button
                type="button"
                role="menuitem"
                tabIndex={-1}
                onClick={() => {
                  close(true);
                  item.run();
                }}
              >
                {item.label}
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

import { ChangeDetectionStrategy, Component } from '@angular/core';

/** Our own cheerful hamster, drawn inline (the prototype showed a photo). */
@Component({
  selector: 'bn-mascot',
  template: `
    <svg viewBox="0 0 120 100" width="120" height="100" role="img" aria-labelledby="mascot-title">
      <title id="mascot-title">A cheerful hamster waving hello</title>
      <ellipse cx="60" cy="62" rx="42" ry="32" fill="#e8a866" />
      <ellipse cx="60" cy="70" rx="26" ry="20" fill="#fbe3c4" />
      <circle cx="30" cy="30" r="11" fill="#e8a866" />
      <circle cx="30" cy="30" r="6" fill="#f5b5b5" />
      <circle cx="90" cy="30" r="11" fill="#e8a866" />
      <circle cx="90" cy="30" r="6" fill="#f5b5b5" />
      <circle cx="46" cy="52" r="5" fill="#1d1d1d" />
      <circle cx="74" cy="52" r="5" fill="#1d1d1d" />
      <circle cx="47.5" cy="50.5" r="1.6" fill="#fff" />
      <circle cx="75.5" cy="50.5" r="1.6" fill="#fff" />
      <ellipse cx="60" cy="60" rx="4" ry="3" fill="#c0566b" />
      <path d="M53 65 q7 7 14 0" stroke="#1d1d1d" stroke-width="2" fill="none" stroke-linecap="round" />
      <circle cx="38" cy="64" r="6" fill="#f5b5b5" opacity="0.7" />
      <circle cx="82" cy="64" r="6" fill="#f5b5b5" opacity="0.7" />
      <ellipse cx="100" cy="48" rx="7" ry="10" fill="#e8a866" transform="rotate(25 100 48)" />
      <ellipse cx="24" cy="84" rx="8" ry="5" fill="#d08e4e" />
      <ellipse cx="96" cy="84" rx="8" ry="5" fill="#d08e4e" />
    </svg>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Mascot {}
